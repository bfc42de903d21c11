use std::sync::Arc;

use actix::Addr;
use secrecy::SecretString;

use crate::actors::SupervisorActor;
use crate::db::Db;
use crate::metrics::Metrics;

/// What every handler may reach: storage, the supervisor and the process-wide settings.
pub struct AppState {
    pub db: Db,
    pub supervisor: Addr<SupervisorActor>,
    pub metrics: Arc<Metrics>,
    pub admin_key: SecretString,
}
