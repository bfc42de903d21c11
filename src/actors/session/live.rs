//! Live commands (groups, contacts, profile, chat actions, media download) on a WORKING
//! session's engine client: the actor lends its client out for one command, which runs on the
//! engine runtime, bounded in time.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use whatsapp_rust::client::Client;

use super::{SessionActor, SessionCommandError};
use crate::domain::SessionStatus;
use crate::engine::live::{Command, Refusal, Reply};

/// How long one live command may take before the caller gives up on it.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A WORKING session's engine client, lent out for one command.
#[derive(Clone)]
pub struct LiveClient {
    client: Arc<Client>,
    runtime: tokio::runtime::Handle,
}

impl LiveClient {
    /// Runs the command on the engine runtime; a timeout or a panic is a [`Refusal`] without a
    /// code, like any other failure that is not WhatsApp's answer.
    pub async fn execute(&self, command: Command) -> Result<Reply, Refusal> {
        let task = self.runtime.spawn(command.execute(self.client.clone()));
        match tokio::time::timeout(CALL_TIMEOUT, task).await {
            Err(_) => Err(Refusal::failed(format!(
                "WhatsApp did not answer within {} s",
                CALL_TIMEOUT.as_secs()
            ))),
            Ok(Err(join)) => Err(Refusal::failed(join)),
            Ok(Ok(result)) => result,
        }
    }
}

/// Lends out the engine client while the session is WORKING.
#[derive(Message)]
#[rtype(result = "Result<LiveClient, SessionCommandError>")]
pub struct Live;

impl Handler<Live> for SessionActor {
    type Result = Result<LiveClient, SessionCommandError>;

    fn handle(&mut self, _: Live, _ctx: &mut Self::Context) -> Self::Result {
        match (&self.client, self.status) {
            (Some(client), SessionStatus::Working) if !self.retiring => Ok(LiveClient {
                client: client.clone(),
                runtime: self.deps.runtime.handle().clone(),
            }),
            _ => Err(SessionCommandError::WrongState(
                self.status.as_str(),
                "a WORKING session",
            )),
        }
    }
}
