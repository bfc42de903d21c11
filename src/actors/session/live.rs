//! Requests that need the WhatsApp connection itself (groups, contacts, profile, chat actions):
//! the API borrows a WORKING session's engine client for one call, run on the engine runtime.

use std::fmt::Display;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use whatsapp_rust::client::Client;

use super::{SessionActor, SessionCommandError};
use crate::domain::SessionStatus;

/// How long one live call may take before the API gives up on it.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A WORKING session's engine client, lent out for one request.
#[derive(Clone)]
pub struct LiveClient {
    client: Arc<Client>,
    runtime: tokio::runtime::Handle,
}

impl LiveClient {
    /// Runs `call` with the client on the engine runtime; an engine error becomes
    /// [`SessionCommandError::Engine`].
    pub async fn run<T, E, F, Fut>(&self, call: F) -> Result<T, SessionCommandError>
    where
        T: Send + 'static,
        E: Display + Send + 'static,
        F: FnOnce(Arc<Client>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let client = self.client.clone();
        let task = self
            .runtime
            .spawn(async move { call(client).await.map_err(|e| e.to_string()) });
        match tokio::time::timeout(CALL_TIMEOUT, task).await {
            Err(_) => Err(SessionCommandError::Engine(format!(
                "WhatsApp did not answer within {} s",
                CALL_TIMEOUT.as_secs()
            ))),
            Ok(Err(join)) => Err(SessionCommandError::Engine(join.to_string())),
            Ok(Ok(result)) => result.map_err(SessionCommandError::Engine),
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
