//! Why a session that does not get through to WhatsApp is stuck: repeated connection failures
//! become its `status_reason` (it stays STARTING or RECONNECTING, and the engine keeps retrying).

use actix::prelude::*;

use super::SessionActor;
use crate::domain::SessionStatus;
use crate::engine::transport::ConnectAttempt;

/// Failures in a row before they are reported: one can be a blip.
const REPORT_AFTER: u32 = 3;

#[derive(Debug, Default)]
pub(super) struct ConnectAttempts {
    /// Attempts that could not open the WebSocket at all.
    refused: u32,
    /// WebSockets opened without the engine getting anywhere (a failing handshake).
    fruitless: u32,
}

impl ConnectAttempts {
    /// The engine raised an event: it got through.
    pub(super) fn progressed(&mut self) {
        self.fruitless = 0;
    }

    /// Records an attempt; returns the reason to show once failures repeat.
    fn record(&mut self, attempt: ConnectAttempt) -> Option<&'static str> {
        if attempt.opened {
            self.refused = 0;
            self.fruitless += 1;
            (self.fruitless >= REPORT_AFTER).then_some("handshake_failed")
        } else {
            self.refused += 1;
            (self.refused >= REPORT_AFTER).then_some("connection_failed")
        }
    }
}

impl Handler<ConnectAttempt> for SessionActor {
    type Result = ();

    fn handle(&mut self, msg: ConnectAttempt, ctx: &mut Self::Context) {
        let Some(reason) = self.attempts.record(msg) else {
            return;
        };
        if !self.retiring
            && matches!(
                self.status,
                SessionStatus::Starting | SessionStatus::Reconnecting
            )
        {
            let status = self.status;
            self.set_status(ctx, status, Some(reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_failures_are_reported_and_progress_resets_them() {
        let mut a = ConnectAttempts::default();
        let refused = ConnectAttempt { opened: false };
        let opened = ConnectAttempt { opened: true };
        assert_eq!(a.record(refused), None);
        assert_eq!(a.record(refused), None);
        assert_eq!(a.record(refused), Some("connection_failed"));
        assert_eq!(a.record(opened), None, "an open socket resets refusals");
        assert_eq!(a.record(opened), None);
        a.progressed();
        assert_eq!(a.record(opened), None);
        assert_eq!(a.record(opened), None);
        assert_eq!(a.record(opened), Some("handshake_failed"));
    }
}
