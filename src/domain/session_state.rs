//! The session state machine's vocabulary:
//! `STOPPED → STARTING → SCAN_QR / PAIR_CODE → WORKING ⇄ RECONNECTING → LOGGED_OUT / FAILED`.

use super::InvalidInput;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionStatus {
    Stopped,
    Starting,
    ScanQr,
    PairCode,
    Working,
    Reconnecting,
    LoggedOut,
    Failed,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 8] = [
        SessionStatus::Stopped,
        SessionStatus::Starting,
        SessionStatus::ScanQr,
        SessionStatus::PairCode,
        SessionStatus::Working,
        SessionStatus::Reconnecting,
        SessionStatus::LoggedOut,
        SessionStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Stopped => "STOPPED",
            SessionStatus::Starting => "STARTING",
            SessionStatus::ScanQr => "SCAN_QR",
            SessionStatus::PairCode => "PAIR_CODE",
            SessionStatus::Working => "WORKING",
            SessionStatus::Reconnecting => "RECONNECTING",
            SessionStatus::LoggedOut => "LOGGED_OUT",
            SessionStatus::Failed => "FAILED",
        }
    }

    pub fn from_db(s: &str) -> Self {
        SessionStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .unwrap_or(SessionStatus::Failed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesiredState {
    Running,
    Stopped,
}

impl DesiredState {
    pub fn as_str(self) -> &'static str {
        match self {
            DesiredState::Running => "running",
            DesiredState::Stopped => "stopped",
        }
    }

    pub fn from_db(s: &str) -> Self {
        if s == "running" {
            DesiredState::Running
        } else {
            DesiredState::Stopped
        }
    }

    pub fn parse(field: &'static str, s: &str) -> Result<Self, InvalidInput> {
        match s {
            "running" => Ok(DesiredState::Running),
            "stopped" => Ok(DesiredState::Stopped),
            _ => Err(InvalidInput::new(field, "must be `running` or `stopped`")),
        }
    }
}
