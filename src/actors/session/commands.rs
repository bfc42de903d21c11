//! Commands the API hands to a running session: pairing by code and logout.

use actix::prelude::*;
use wacore::pair_code::PairCodeOptions;

use super::SessionActor;
use crate::domain::SessionStatus;

#[derive(Debug, Clone, thiserror::Error)]
pub enum SessionCommandError {
    #[error("the session is {0}; this needs {1}")]
    WrongState(&'static str, &'static str),
    #[error("{0}")]
    Engine(String),
}

/// Requests a pairing code for `phone` (digits only); answers the code to enter on the phone.
#[derive(Message)]
#[rtype(result = "Result<String, SessionCommandError>")]
pub struct PairCode(pub String);

impl Handler<PairCode> for SessionActor {
    type Result = ResponseActFuture<Self, Result<String, SessionCommandError>>;

    fn handle(&mut self, msg: PairCode, _ctx: &mut Self::Context) -> Self::Result {
        let waiting = matches!(
            self.status,
            SessionStatus::Starting | SessionStatus::ScanQr | SessionStatus::PairCode
        );
        let client = self.client.clone().filter(|_| waiting);
        let status = self.status.as_str();
        let handle = self.deps.runtime.handle().clone();
        Box::pin(
            async move {
                let client = client.ok_or(SessionCommandError::WrongState(
                    status,
                    "an unlinked, started session",
                ))?;
                let options = PairCodeOptions {
                    phone_number: msg.0,
                    ..Default::default()
                };
                let task = handle.spawn(async move {
                    client
                        .pair_with_code(options)
                        .await
                        .map_err(|e| e.to_string())
                });
                task.await
                    .map_err(|e| SessionCommandError::Engine(e.to_string()))?
                    .map_err(SessionCommandError::Engine)
            }
            .into_actor(self)
            .then(|result, act, _ctx| {
                // The status is persisted before the code is answered (idempotent if the engine's
                // own PairingCode event got there first).
                let write = result.is_ok().then(|| {
                    act.status = SessionStatus::PairCode;
                    act.status_write(SessionStatus::PairCode, None, None)
                });
                async move {
                    if let Some(write) = write {
                        write.await;
                    }
                    result
                }
                .into_actor(act)
            }),
        )
    }
}

/// Unlinks the device on the server and deletes all of the session's key material.
#[derive(Message)]
#[rtype(result = "Result<(), SessionCommandError>")]
pub struct Logout;

impl Handler<Logout> for SessionActor {
    type Result = ResponseActFuture<Self, Result<(), SessionCommandError>>;

    fn handle(&mut self, _: Logout, _ctx: &mut Self::Context) -> Self::Result {
        let client = self.client.clone();
        let handle = self.deps.runtime.handle().clone();
        Box::pin(
            async move {
                if let Some(client) = client {
                    let task = handle.spawn(async move { client.logout().await });
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), task).await;
                }
            }
            .into_actor(self)
            .then(|_, act, _ctx| {
                act.retire_work(SessionStatus::LoggedOut, "logged_out", true)
                    .into_actor(act)
            })
            .map(|_, _, ctx| {
                ctx.notify(super::Retired);
                Ok(())
            }),
        )
    }
}
