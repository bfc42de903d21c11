//! Request rate limits per API key and per tenant (requests per second with a burst; the admin
//! key is not limited). One instance keeps them in memory (`governor`'s GCRA); several
//! instances share one budget through PostgreSQL, where each check is one conditional upsert of
//! the bucket's theoretical arrival time (the same GCRA, so the limits hold whichever instance a
//! request reaches). Answers carry `RateLimit-Limit`, `RateLimit-Remaining` and
//! `RateLimit-Reset`; a refused request is 429 `rate_limited` with `Retry-After`.

use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::HttpMessage as _;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota};

use super::error::ApiError;
use crate::db::{Db, DbResult};

type Keyed = DefaultKeyedRateLimiter<String, StateInformationMiddleware>;

/// One limit: its rate and burst, and where the buckets live.
struct Limit {
    rate: u32,
    burst: u32,
    local: Keyed,
}

/// What an answer tells about the caller's budget.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the budget is full again.
    pub reset_secs: u64,
}

pub struct RateLimits {
    per_key: Option<Limit>,
    per_tenant: Option<Limit>,
    /// With several instances: the shared store (PostgreSQL).
    shared: Option<Db>,
    /// Checks so far, to forget idle buckets now and then.
    checks: std::sync::atomic::AtomicU64,
}

/// Checks between two sweeps of idle in-memory buckets.
const SWEEP_EVERY: u64 = 10_000;

impl Limit {
    fn new(rate: u32, burst: u32) -> Option<Self> {
        let per_second = NonZeroU32::new(rate)?;
        let burst = burst.max(rate);
        let quota = Quota::per_second(per_second).allow_burst(NonZeroU32::new(burst)?);
        Some(Self {
            rate,
            burst,
            local: governor::RateLimiter::keyed(quota)
                .with_middleware::<StateInformationMiddleware>(),
        })
    }

    /// One request against `bucket`: its budget after, or how long to wait.
    fn check_local(&self, bucket: &str) -> Result<Budget, Duration> {
        match self.local.check_key(&bucket.to_string()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Ok(self.budget(remaining))
            }
            Err(not_until) => Err(not_until.wait_time_from(DefaultClock::default().now())),
        }
    }

    fn budget(&self, remaining: u32) -> Budget {
        let missing = u64::from(self.burst.saturating_sub(remaining));
        Budget {
            limit: self.burst,
            remaining,
            reset_secs: missing.div_ceil(u64::from(self.rate)),
        }
    }
}

impl RateLimits {
    /// `per_key` and `per_tenant` requests per second (0: no limit), each with `burst`; `shared`
    /// when several instances share the budget.
    pub fn new(per_key: u32, per_tenant: u32, burst: u32, shared: Option<Db>) -> Self {
        Self {
            per_key: Limit::new(per_key, burst),
            per_tenant: Limit::new(per_tenant, burst),
            shared,
            checks: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// One request by `key_id` of `tenant_id`: the tighter budget after it, or the refusal.
    pub async fn check(&self, key_id: &str, tenant_id: &str) -> Result<Option<Budget>, ApiError> {
        let n = self
            .checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.forget_idle();
        }
        let mut tightest: Option<Budget> = None;
        for (limit, bucket) in [
            (&self.per_key, format!("key:{key_id}")),
            (&self.per_tenant, format!("tenant:{tenant_id}")),
        ] {
            let Some(limit) = limit else {
                continue;
            };
            let outcome = match &self.shared {
                None => limit.check_local(&bucket),
                Some(db) => {
                    let (rate, burst) = (limit.rate, limit.burst);
                    let checked = db
                        .run(move |pool| shared_check(pool, &bucket, rate, burst))
                        .await
                        .map_err(ApiError::from)?;
                    checked.map(|remaining| limit.budget(remaining))
                }
            };
            match outcome {
                Ok(b) if tightest.is_none_or(|t| b.remaining < t.remaining) => tightest = Some(b),
                Ok(_) => {}
                Err(wait) => return Err(ApiError::rate_limited(wait)),
            }
        }
        Ok(tightest)
    }

    /// Forgets idle buckets (a bucket at full budget holds nothing).
    fn forget_idle(&self) {
        for limit in [&self.per_key, &self.per_tenant].into_iter().flatten() {
            limit.local.retain_recent();
        }
    }
}

/// The GCRA on PostgreSQL: the bucket's theoretical arrival time moves on by one interval if
/// that stays within the burst window; otherwise nothing changes and the request is refused.
/// Answers the remaining budget, or how long to wait.
fn shared_check(
    pool: &crate::db::DbPool,
    bucket: &str,
    rate: u32,
    burst: u32,
) -> DbResult<Result<u32, Duration>> {
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};

    #[derive(QueryableByName)]
    struct Tat {
        #[diesel(sql_type = BigInt)]
        tat: i64,
        #[diesel(sql_type = BigInt)]
        now: i64,
    }
    let crate::db::DbPool::Postgres(p) = pool else {
        return Ok(Ok(burst));
    };
    let mut conn = p.get()?;
    let interval = 1000 / i64::from(rate.max(1));
    let window = interval * i64::from(burst);
    let now_sql = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";
    let taken: Option<Tat> = diesel::sql_query(format!(
        "INSERT INTO rate_limits AS r (bucket, tat) VALUES ($1, {now_sql} + $2) \
         ON CONFLICT (bucket) DO UPDATE SET tat = GREATEST(r.tat, {now_sql}) + $2 \
         WHERE GREATEST(r.tat, {now_sql}) + $2 - {now_sql} <= $3 \
         RETURNING tat, {now_sql} AS now"
    ))
    .bind::<Text, _>(bucket)
    .bind::<BigInt, _>(interval)
    .bind::<BigInt, _>(window)
    .get_result(&mut conn)
    .optional()?;
    if let Some(t) = taken {
        let used = (t.tat - t.now).max(0);
        let remaining = (window - used) / interval.max(1);
        return Ok(Ok(u32::try_from(remaining).unwrap_or(0)));
    }
    let t: Tat = diesel::sql_query(format!(
        "SELECT tat, {now_sql} AS now FROM rate_limits WHERE bucket = $1"
    ))
    .bind::<Text, _>(bucket)
    .get_result(&mut conn)?;
    let wait = (t.tat + interval - window - t.now).max(1);
    Ok(Err(Duration::from_millis(u64::try_from(wait).unwrap_or(1))))
}

/// Puts the caller's budget (left in the request by the key check) on the answer.
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let budget = res.request().extensions().get::<Budget>().copied();
    if let Some(b) = budget {
        let h = res.headers_mut();
        for (name, value) in [
            ("ratelimit-limit", b.limit.to_string()),
            ("ratelimit-remaining", b.remaining.to_string()),
            ("ratelimit-reset", b.reset_secs.to_string()),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(HeaderName::from_static(name), v);
            }
        }
    }
    Ok(res)
}
