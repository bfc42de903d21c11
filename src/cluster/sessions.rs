//! [`Sessions`]: every way into a session, as [`Order`]s with typed answers and errors.

use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use serde::{Deserialize, Serialize};

use super::ClusterConfig;
use super::CommandError;
use super::forward::forward;
use super::membership::{Claim, Holds, Membership, OUTBOX_CHANNEL, Release};
use super::placement::assign;
use crate::actors::{
    ActorAddr, EnsureRunning, EnsureStopped, Live, Logout, Nudge, PairCode, RemoveSession,
    RestartSession, SessionActor, SessionCommandError, SupervisorActor,
};
use crate::db::cluster as leases;
use crate::db::sessions::{self, StatusChange};
use crate::db::{Db, now_ms};
use crate::domain::{DesiredState, SessionId, SessionStatus};
use crate::engine::SessionStores;
use crate::engine::live::{Call, Command, Reply};

/// How long a delete waits for a stopped linked session to connect, only to unlink it.
const UNLINK_CONNECT_WAIT: Duration = Duration::from_secs(20);

/// Everything that can be asked of a session, as data (so it can travel to its owner).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "order", rename_all = "snake_case")]
pub enum Order {
    /// Run it (its desired state is already `running`).
    Start,
    /// Stop it (its desired state is already `stopped`).
    Stop,
    Restart,
    /// Unlink it from its account and delete its key material.
    Logout,
    /// Unlink it (best effort) and end its actor; the caller deletes the rows.
    Remove,
    /// A pairing code for this phone number (digits).
    PairCode {
        phone: String,
    },
    /// Something was queued for it: send now if it can.
    Nudge,
    /// A live command on its WhatsApp connection.
    Live {
        command: Command,
    },
}

/// What an order answered.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "answer", content = "value", rename_all = "snake_case")]
pub enum Answer {
    Done,
    Code(String),
    Reply(Reply),
}

/// The one door to every session, cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    inner: Arc<Inner>,
}

struct Inner {
    supervisor: Addr<SupervisorActor>,
    db: Db,
    stores: Arc<dyn SessionStores>,
    /// With several instances (PostgreSQL): this instance's part in the cluster.
    cluster: Option<Cluster>,
    /// The id a lone (SQLite) instance shows.
    lone_id: String,
}

/// This instance in the cluster: its settings and its membership actor.
#[derive(Clone)]
pub struct Cluster {
    pub config: Arc<ClusterConfig>,
    pub membership: Addr<Membership>,
}

impl Sessions {
    pub fn new(
        supervisor: Addr<SupervisorActor>,
        db: Db,
        stores: Arc<dyn SessionStores>,
        cluster: Option<Cluster>,
        lone_id: String,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                supervisor,
                db,
                stores,
                cluster,
                lone_id,
            }),
        }
    }

    /// The instance running each of these sessions (`(id, status)` pairs): the live lease
    /// holder with several instances; this process for a session active here when alone.
    pub async fn owners(
        &self,
        sessions: Vec<(String, String)>,
    ) -> Result<std::collections::HashMap<String, String>, CommandError> {
        if self.inner.cluster.is_none() {
            return Ok(sessions
                .into_iter()
                .filter(|(_, status)| {
                    !matches!(
                        SessionStatus::from_db(status),
                        SessionStatus::Stopped | SessionStatus::LoggedOut | SessionStatus::Failed
                    )
                })
                .map(|(id, _)| (id, self.instance_id().to_string()))
                .collect());
        }
        let ids: Vec<String> = sessions.into_iter().map(|(id, _)| id).collect();
        let owned = self
            .inner
            .db
            .run(move |pool| leases::owners(pool, &ids))
            .await?;
        Ok(owned.into_iter().collect())
    }

    /// This instance's id (`local` for a lone SQLite instance without `instance_id`).
    pub fn instance_id(&self) -> &str {
        match &self.inner.cluster {
            Some(c) => &c.config.instance_id,
            None => &self.inner.lone_id,
        }
    }

    /// This instance's id and settings, `None` when it runs alone (SQLite).
    pub fn cluster(&self) -> Option<&Arc<ClusterConfig>> {
        self.inner.cluster.as_ref().map(|c| &c.config)
    }

    /// Runs a live command on the session's WhatsApp connection.
    pub async fn call<C: Call>(
        &self,
        session_id: &str,
        command: C,
    ) -> Result<C::Output, CommandError> {
        let order = Order::Live {
            command: command.into(),
        };
        match self.order(session_id, order).await? {
            Answer::Reply(reply) => C::output(reply)
                .ok_or_else(|| CommandError::internal("the session answered another command")),
            other => Err(CommandError::internal(format!(
                "unexpected answer {other:?}"
            ))),
        }
    }

    pub async fn start(&self, session_id: &str) -> Result<(), CommandError> {
        self.order(session_id, Order::Start).await.map(drop)
    }

    pub async fn stop(&self, session_id: &str) -> Result<(), CommandError> {
        self.order(session_id, Order::Stop).await.map(drop)
    }

    pub async fn restart(&self, session_id: &str) -> Result<(), CommandError> {
        self.order(session_id, Order::Restart).await.map(drop)
    }

    pub async fn logout(&self, session_id: &str) -> Result<(), CommandError> {
        self.order(session_id, Order::Logout).await.map(drop)
    }

    pub async fn remove(&self, session_id: &str) -> Result<(), CommandError> {
        self.order(session_id, Order::Remove).await.map(drop)
    }

    pub async fn pair_code(&self, session_id: &str, phone: String) -> Result<String, CommandError> {
        match self.order(session_id, Order::PairCode { phone }).await? {
            Answer::Code(code) => Ok(code),
            other => Err(CommandError::internal(format!(
                "unexpected answer {other:?}"
            ))),
        }
    }

    /// Wakes the session's outbox; the message is durable already, so a lost nudge only costs
    /// latency (the owner drains its outbox when the session connects). With several
    /// instances the nudge is a NOTIFY the owner listens for, unless the owner is this
    /// instance: PostgreSQL commits a transaction that notified under a lock of the whole
    /// database, so a NOTIFY per send put every send's commit in one line.
    pub fn nudge(&self, session_id: &str) {
        let id = session_id.to_string();
        let supervisor = self.inner.supervisor.clone();
        let Some(cluster) = &self.inner.cluster else {
            supervisor.do_send(Nudge(SessionId::from_db(id)));
            return;
        };
        let membership = cluster.membership.clone();
        let db = self.inner.db.clone();
        actix::spawn(async move {
            if let Ok(Some(_)) = membership.send(Holds(id.clone())).await {
                supervisor.do_send(Nudge(SessionId::from_db(id)));
                return;
            }
            let sid = id.clone();
            let sent = db
                .run(move |pool| leases::notify(pool, OUTBOX_CHANNEL, &sid))
                .await;
            if let Err(e) = sent {
                log::debug!("session {id}: nudge not delivered: {e}");
            }
        });
    }

    /// Carries an order to the session: here when this instance owns it (or it runs alone),
    /// to the owner when another instance does; a session between owners is `Moving`.
    pub async fn order(&self, session_id: &str, order: Order) -> Result<Answer, CommandError> {
        let Some(cluster) = &self.inner.cluster else {
            return self.run_here(session_id, order).await;
        };
        if let Order::Nudge = order {
            self.nudge(session_id);
            return Ok(Answer::Done);
        }
        let sid = session_id.to_string();
        let owner = self
            .inner
            .db
            .run(move |pool| leases::owner(pool, &sid))
            .await?;
        let live = owner.as_ref().and_then(|o| {
            o.live_owner()
                .map(|id| (id.to_string(), o.advertise_url.clone()))
        });
        match live {
            Some((id, _)) if id == cluster.config.instance_id => {
                self.run_owned(session_id, order).await
            }
            Some((_, Some(url))) => forward(&cluster.config.secret, &url, session_id, &order).await,
            Some((_, None)) => Err(CommandError::Moving {
                retry_after_secs: 1,
            }),
            None => self.unowned(cluster, session_id, order).await,
        }
    }

    /// An order forwarded by another instance, which found this one the owner (or, for a
    /// start, the one the session is placed on).
    pub async fn accept_forwarded(
        &self,
        session_id: &str,
        order: Order,
    ) -> Result<Answer, CommandError> {
        let Some(cluster) = &self.inner.cluster else {
            return self.run_here(session_id, order).await;
        };
        if let Order::Start = order {
            return self.claim_and_start(cluster, session_id).await;
        }
        let holds = cluster
            .membership
            .send(Holds(session_id.to_string()))
            .await
            .map_err(CommandError::internal)?;
        if holds.is_none() {
            return Err(CommandError::Moving {
                retry_after_secs: 1,
            });
        }
        self.run_owned(session_id, order).await
    }

    /// Runs an order for a session this instance owns; a stop gives the lease up afterwards.
    async fn run_owned(&self, session_id: &str, order: Order) -> Result<Answer, CommandError> {
        let gives_up = matches!(order, Order::Stop | Order::Logout | Order::Remove);
        let answer = self.run_here(session_id, order).await;
        if gives_up && let Some(cluster) = &self.inner.cluster {
            let _ = cluster
                .membership
                .send(Release(session_id.to_string()))
                .await;
        }
        answer
    }

    /// An order for a session no instance holds a lease on.
    async fn unowned(
        &self,
        cluster: &Cluster,
        session_id: &str,
        order: Order,
    ) -> Result<Answer, CommandError> {
        match order {
            Order::Start | Order::Restart => {
                let sid = session_id.to_string();
                let instances = self
                    .inner
                    .db
                    .run(move |pool| leases::instances(pool, false))
                    .await?;
                let target = assign([sid.as_str()], &instances).remove(sid.as_str());
                match target {
                    Some(id) if id == cluster.config.instance_id => {
                        self.claim_and_start(cluster, session_id).await
                    }
                    Some(id) => {
                        let url = instances
                            .iter()
                            .find(|i| i.id == id)
                            .map(|i| i.advertise_url.clone())
                            .unwrap_or_default();
                        forward(&cluster.config.secret, &url, session_id, &Order::Start).await
                    }
                    // Every instance is full: it starts when one has room.
                    None => Ok(Answer::Done),
                }
            }
            Order::Live { .. } | Order::PairCode { .. } => {
                let sid = session_id.to_string();
                let row = self
                    .inner
                    .db
                    .run(move |pool| sessions::find(pool, &sid))
                    .await?;
                match row {
                    Some(r) if DesiredState::from_db(&r.desired_state) == DesiredState::Running => {
                        Err(CommandError::Moving {
                            retry_after_secs: 1,
                        })
                    }
                    Some(r) if matches!(order, Order::Live { .. }) => {
                        Err(CommandError::NotWorking { status: r.status })
                    }
                    _ => Err(CommandError::NotRunning),
                }
            }
            Order::Remove => {
                // The unlink needs a connection, which needs the lease.
                if self
                    .is_linked(&SessionId::from_db(session_id.to_string()))
                    .await?
                {
                    let _ = cluster
                        .membership
                        .send(Claim {
                            session_id: session_id.to_string(),
                            pinned: true,
                        })
                        .await;
                }
                self.run_owned(session_id, Order::Remove).await
            }
            other => self.run_here(session_id, other).await,
        }
    }

    /// Takes the session's lease here and starts it; answers once it persisted STARTING.
    async fn claim_and_start(
        &self,
        cluster: &Cluster,
        session_id: &str,
    ) -> Result<Answer, CommandError> {
        let claimed = cluster
            .membership
            .send(Claim {
                session_id: session_id.to_string(),
                pinned: false,
            })
            .await
            .map_err(CommandError::internal)??;
        if !claimed {
            log::debug!("session {session_id}: another instance took it first");
        }
        Ok(Answer::Done)
    }

    /// Carries out an order in this process.
    pub async fn run_here(&self, session_id: &str, order: Order) -> Result<Answer, CommandError> {
        let id = SessionId::from_db(session_id.to_string());
        let inner = &self.inner;
        match order {
            Order::Start => {
                // With several instances a session runs only under this instance's lease (held
                // still, e.g., after the session was logged out on the phone).
                let fence = self.fence_of(&id).await?;
                inner
                    .supervisor
                    .send(EnsureRunning(id, fence))
                    .await
                    .map_err(CommandError::internal)?;
            }
            Order::Stop => {
                inner
                    .supervisor
                    .send(EnsureStopped(id))
                    .await
                    .map_err(CommandError::internal)?;
            }
            Order::Restart => {
                inner
                    .supervisor
                    .send(RestartSession(id))
                    .await
                    .map_err(CommandError::internal)?;
            }
            Order::Nudge => inner.supervisor.do_send(Nudge(id)),
            Order::Logout => self.logout_here(&id).await?,
            Order::Remove => self.remove_here(&id).await?,
            Order::PairCode { phone } => {
                let actor = self.actor(&id).await?.ok_or(CommandError::NotRunning)?;
                let code = actor
                    .send(PairCode(phone))
                    .await
                    .map_err(CommandError::internal)?
                    .map_err(lifecycle_error)?;
                return Ok(Answer::Code(code));
            }
            Order::Live { command } => return self.live_here(&id, command).await,
        }
        Ok(Answer::Done)
    }

    async fn fence_of(
        &self,
        id: &SessionId,
    ) -> Result<Option<Arc<crate::db::cluster::Fence>>, CommandError> {
        match &self.inner.cluster {
            None => Ok(None),
            Some(c) => c
                .membership
                .send(Holds(id.as_str().to_string()))
                .await
                .map_err(CommandError::internal),
        }
    }

    async fn actor(&self, id: &SessionId) -> Result<Option<Addr<SessionActor>>, CommandError> {
        self.inner
            .supervisor
            .send(ActorAddr(id.clone()))
            .await
            .map_err(CommandError::internal)
    }

    async fn live_here(&self, id: &SessionId, command: Command) -> Result<Answer, CommandError> {
        let status = || async {
            let sid = id.as_str().to_string();
            let row = self
                .inner
                .db
                .run(move |pool| sessions::find(pool, &sid))
                .await;
            row.ok()
                .flatten()
                .map_or_else(|| "STOPPED".to_string(), |r| r.status)
        };
        let Some(actor) = self.actor(id).await? else {
            return Err(CommandError::NotWorking {
                status: status().await,
            });
        };
        let live = match actor.send(Live).await.map_err(CommandError::internal)? {
            Ok(live) => live,
            Err(SessionCommandError::WrongState(status, _)) => {
                return Err(CommandError::NotWorking {
                    status: status.to_string(),
                });
            }
            Err(other) => return Err(lifecycle_error(other)),
        };
        let what = command.what();
        live.execute(command)
            .await
            .map(Answer::Reply)
            .map_err(|refusal| CommandError::Refused {
                what: what.to_string(),
                refusal,
            })
    }

    /// Logs out through the running actor; with none, nothing can reach WhatsApp, but the local
    /// key material goes and the session says LOGGED_OUT.
    async fn logout_here(&self, id: &SessionId) -> Result<(), CommandError> {
        let answer = match self.actor(id).await? {
            Some(actor) => actor.send(Logout).await.ok(),
            None => None,
        };
        if let Some(done) = answer {
            return done.map_err(lifecycle_error);
        }
        self.inner
            .stores
            .wipe(id.as_str(), None)
            .await
            .map_err(CommandError::internal)?;
        let sid = id.as_str().to_string();
        self.inner
            .db
            .run(move |pool| {
                sessions::set_me(pool, &sid, None, None, None, now_ms())?;
                sessions::set_status(
                    pool,
                    &StatusChange {
                        session_id: &sid,
                        status: SessionStatus::LoggedOut,
                        reason: Some("logged_out"),
                        desired_state: Some(DesiredState::Stopped),
                        now: now_ms(),
                        fence: None,
                    },
                )
            })
            .await?;
        self.inner.db.events_appended();
        Ok(())
    }

    /// Unlinks the session from its account (best effort), then ends its actor. A linked session
    /// that is not running is connected first: the unlink is a request to the server, and
    /// without it the account would keep a companion device nobody controls.
    async fn remove_here(&self, id: &SessionId) -> Result<(), CommandError> {
        let mut actor = self.actor(id).await?;
        if actor.is_none() && self.is_linked(id).await? {
            actor = self.connect_to_unlink(id).await?;
        }
        if let Some(actor) = actor
            && let Ok(Err(e)) = actor.send(Logout).await
        {
            log::warn!("session {id}: unlink before delete failed: {e}");
        }
        self.inner
            .supervisor
            .send(RemoveSession(id.clone()))
            .await
            .map_err(CommandError::internal)
    }

    async fn is_linked(&self, id: &SessionId) -> Result<bool, CommandError> {
        let sid = id.as_str().to_string();
        let row = self
            .inner
            .db
            .run(move |pool| sessions::find(pool, &sid))
            .await?;
        Ok(row.is_some_and(|r| r.me_phone_jid.is_some()))
    }

    /// Starts the session's actor and waits until it is connected (or gives up after a while).
    async fn connect_to_unlink(
        &self,
        id: &SessionId,
    ) -> Result<Option<Addr<SessionActor>>, CommandError> {
        self.inner
            .supervisor
            .send(EnsureRunning(id.clone(), None))
            .await
            .map_err(CommandError::internal)?;
        let deadline = tokio::time::Instant::now() + UNLINK_CONNECT_WAIT;
        while tokio::time::Instant::now() < deadline {
            let sid = id.as_str().to_string();
            let status = self
                .inner
                .db
                .run(move |pool| sessions::find(pool, &sid))
                .await?
                .map(|r| r.status);
            if status.as_deref() == Some(SessionStatus::Working.as_str()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.actor(id).await
    }
}

fn lifecycle_error(e: SessionCommandError) -> CommandError {
    match e {
        SessionCommandError::WrongState(status, needs) => CommandError::WrongState {
            status: status.to_string(),
            needs: needs.to_string(),
        },
        SessionCommandError::Engine(detail) => CommandError::Refused {
            what: "session".into(),
            refusal: crate::engine::live::Refusal::failed(detail),
        },
    }
}
