//! `GET /api/v1/events/ws`: the event log as a live WebSocket stream. A client resumes with `after`:
//! the stream replays the log from there, then goes live with no gap and no duplicate (it subscribes
//! before it replays, and drops live events it has already sent). Pings keep idle connections
//! honest; a consumer that stops reading is cut off with a reason instead of growing memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, CloseReason, Message};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};

use super::auth::{Caller, authenticate, key_withdrawn, narrow_session, presented_key};
use super::error::{ApiError, ApiResult, Problem};
use super::events::EventQuery;
use super::state::AppState;
use crate::actors::{EventSelector, Subscribe, Unsubscribe};
use crate::auth::{Principal, TenantKey};
use crate::db::events::{self, EventFilter, EventRow};
use crate::domain::{Scope, SessionId};

const TICKET_TTL: Duration = Duration::from_secs(60);
const REPLAY_PAGE: i64 = 500;
const HEARTBEAT: Duration = Duration::from_secs(20);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// How often an open stream asks whether its key still stands: revocation, expiry and tenant
/// deletion close streams within about this long.
const KEY_RECHECK: Duration = Duration::from_secs(1);

/// Single-use, short-lived tickets that let a browser open the stream without putting its key in
/// a URL.
#[derive(Default)]
pub struct TicketBook {
    tickets: Mutex<HashMap<String, (TenantKey, Instant)>>,
}

impl TicketBook {
    fn issue(&self, key: TenantKey) -> String {
        let ticket = format!("wst_{}", crate::auth::random_base62(40));
        let mut book = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        book.retain(|_, (_, expires)| *expires > Instant::now());
        book.insert(ticket.clone(), (key, Instant::now() + TICKET_TTL));
        ticket
    }

    fn redeem(&self, ticket: &str) -> Option<TenantKey> {
        let mut book = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        let (key, expires) = book.remove(ticket)?;
        (expires > Instant::now()).then_some(key)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ticket {
    pub ticket: String,
    pub expires_at: String,
}

#[utoipa::path(post, path = "/api/v1/events/ws-ticket", tag = "events", security(("api_key" = [])),
    responses((status = 200, body = Ticket, description = "Single use, valid for 60 s"),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn ticket(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?.clone();
    let ticket = state.tickets.issue(key);
    let expires = crate::time::rfc3339(crate::db::now_ms() + TICKET_TTL.as_millis() as i64);
    Ok(HttpResponse::Ok().json(Ticket {
        ticket,
        expires_at: expires,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Replay events after this id first.
    #[param(value_type = Option<i64>, minimum = 0)]
    pub after: Option<String>,
    pub session_id: Option<String>,
    /// Comma-separated event types.
    pub types: Option<String>,
    /// From `POST /api/v1/events/ws-ticket`, for clients that cannot send headers.
    pub ticket: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/events/ws", tag = "events", params(StreamQuery),
    security(("api_key" = [])),
    responses((status = 101, description = "WebSocket; each text frame is one event envelope"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn stream(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    q: web::Query<StreamQuery>,
) -> ApiResult<HttpResponse> {
    let key = match &q.ticket {
        Some(t) => {
            let key = state
                .tickets
                .redeem(t)
                .ok_or_else(|| ApiError::unauthorized("the ticket is invalid, used or expired"))?;
            // A ticket carries its key's authority, so it dies with the key.
            if let Some(why) = key_withdrawn(&state, &key).await? {
                return Err(ApiError::unauthorized(format!("the ticket is void: {why}")));
            }
            key
        }
        None => match authenticate(state.clone(), presented_key(&req)).await?.0 {
            Principal::Tenant(k) if k.allows(Scope::Read) => k,
            Principal::Tenant(_) => {
                return Err(ApiError::forbidden("this key lacks the `read` scope"));
            }
            Principal::Admin => {
                return Err(ApiError::forbidden("use a tenant key for the event stream"));
            }
        },
    };
    let mut filter = EventQuery {
        after: q.after.clone(),
        cursor: None,
        session_id: q.session_id.clone(),
        types: q.types.clone(),
        limit: None,
    }
    .filter()?;
    filter.session_id = narrow_session(&key, filter.session_id.map(SessionId::from_db))?
        .map(SessionId::into_string);
    let (res, session, messages) = actix_ws::handle(&req, body)
        .map_err(|e| ApiError::invalid(format!("not a WebSocket upgrade: {e}")))?;
    let (tx, rx) = mpsc::channel(state.ws_queue);
    let overflowed = Arc::new(AtomicBool::new(false));
    let selector = EventSelector {
        tenant_id: key.tenant_id.as_str().to_string(),
        session_id: filter.session_id.clone(),
        types: filter.types.clone(),
    };
    // Subscribe before replaying, so nothing committed in between is missed.
    let sub = state
        .hub
        .send(Subscribe {
            selector,
            tx,
            overflowed: overflowed.clone(),
        })
        .await
        .map_err(ApiError::internal)?;
    let conn = Connection {
        state: state.clone(),
        session,
        tenant: key.tenant_id.as_str().to_string(),
        key,
        filter,
    };
    actix_web::rt::spawn(async move {
        conn.run(messages, rx, overflowed).await;
        state.hub.do_send(Unsubscribe(sub));
    });
    Ok(res)
}

struct Connection {
    state: web::Data<AppState>,
    session: actix_ws::Session,
    tenant: String,
    key: TenantKey,
    filter: EventFilter,
}

enum End {
    Closed,
    Cut(CloseCode, String),
}

impl Connection {
    async fn send(&mut self, row: &EventRow) -> Result<(), End> {
        match tokio::time::timeout(
            self.state.ws_send_timeout,
            self.session.text(
                serde_json::to_string(&row.envelope_for(self.key.allows(Scope::Manage)))
                    .unwrap_or_default(),
            ),
        )
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Closed),
            Err(_) => Err(End::Cut(
                CloseCode::Policy,
                "slow consumer: the client stopped reading".into(),
            )),
        }
    }

    async fn replay(&mut self) -> Result<(), End> {
        loop {
            // A long replay must not outlast its key either.
            self.check_key().await?;
            let (tenant, filter) = (self.tenant.clone(), self.filter.clone());
            let page = self
                .state
                .db
                .run(move |pool| events::list(pool, &tenant, &filter, REPLAY_PAGE))
                .await
                .map_err(|e| {
                    End::Cut(CloseCode::Error, format!("cannot read the event log: {e}"))
                })?;
            for row in &page {
                self.send(row).await?;
                self.filter.after = row.id;
            }
            if (page.len() as i64) < REPLAY_PAGE {
                return Ok(());
            }
        }
    }

    /// Cuts the stream once its key no longer stands. A database error keeps it open: the key
    /// was valid when last seen, and the next check decides.
    async fn check_key(&self) -> Result<(), End> {
        match key_withdrawn(&self.state, &self.key).await {
            Ok(Some(why)) => Err(End::Cut(CloseCode::Policy, why)),
            Ok(None) => Ok(()),
            Err(e) => {
                log::warn!("event stream: cannot re-check its key: {}", e.detail);
                Ok(())
            }
        }
    }

    async fn live(
        &mut self,
        messages: &mut actix_ws::MessageStream,
        rx: &mut mpsc::Receiver<Arc<EventRow>>,
        overflowed: &AtomicBool,
    ) -> Result<(), End> {
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.tick().await;
        let mut heard = Instant::now();
        let mut recheck = tokio::time::interval(KEY_RECHECK);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = rx.recv() => match event {
                    Some(row) if row.id > self.filter.after => {
                        self.send(&row).await?;
                        self.filter.after = row.id;
                    }
                    Some(_) => {}
                    None if overflowed.load(Ordering::SeqCst) => {
                        return Err(End::Cut(CloseCode::Policy, "slow consumer: the send queue overflowed".into()));
                    }
                    None => return Err(End::Cut(CloseCode::Restart, "server shutting down".into())),
                },
                msg = messages.next() => match msg {
                    Some(Ok(Message::Ping(bytes))) => {
                        heard = Instant::now();
                        self.session.pong(&bytes).await.map_err(|_| End::Closed)?;
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Err(End::Closed),
                    Some(Ok(_)) => heard = Instant::now(),
                },
                _ = recheck.tick() => self.check_key().await?,
                _ = heartbeat.tick() => {
                    if heard.elapsed() > CLIENT_TIMEOUT {
                        return Err(End::Cut(CloseCode::Away, "heartbeat timeout".into()));
                    }
                    self.session.ping(b"").await.map_err(|_| End::Closed)?;
                }
            }
        }
    }

    async fn run(
        mut self,
        mut messages: actix_ws::MessageStream,
        mut rx: mpsc::Receiver<Arc<EventRow>>,
        overflowed: Arc<AtomicBool>,
    ) {
        let result = match self.replay().await {
            Ok(()) => self.live(&mut messages, &mut rx, &overflowed).await,
            Err(e) => Err(e),
        };
        let reason = match result {
            Ok(()) | Err(End::Closed) => None,
            Err(End::Cut(code, description)) => {
                log::info!("event stream closed: {description}");
                Some(CloseReason {
                    code,
                    description: Some(description),
                })
            }
        };
        let _ = self.session.close(reason).await;
    }
}
