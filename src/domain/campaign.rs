//! A campaign's pacing, per session: messages per minute with random jitter, a daily cap, quiet
//! hours in a time zone and an optional typing indicator. Everything here is pure: it answers
//! "when may this session send next" for a given time.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::InvalidInput;

pub const MAX_PER_MINUTE: u32 = 600;
pub const MAX_JITTER_SECS: u32 = 3600;
/// How long the typing indicator shows before a campaign message goes out.
pub const TYPING_MS: i64 = 2_000;

/// How fast each session of a campaign sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Pacing {
    /// Messages per minute per session (1 to 600).
    #[schema(minimum = 1, maximum = 600)]
    pub per_minute: u32,
    /// Up to this many seconds (0 to 3600) added at random to each gap between two sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 3600)]
    pub jitter_secs: Option<u32>,
    /// At most this many messages per session per day (in the quiet hours' time zone, else UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub daily_cap: Option<u32>,
    /// No sends between `from` and `to` (local time of `tz`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<DailyWindow>,
    /// Show "typing…" for two seconds before each message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typing: Option<bool>,
}

/// A daily window of local time, e.g. 22:00 to 08:00 in Europe/Berlin (it may span midnight).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DailyWindow {
    /// `HH:MM`, 24-hour clock.
    #[schema(example = "22:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub from: String,
    #[schema(example = "08:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub to: String,
    /// An IANA time zone name (default UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "Europe/Berlin")]
    pub tz: Option<String>,
}

/// Where a session's pacing stands after a send, or what it has to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// It may send now; the day's count so far is the given one.
    Send { day_count: u32 },
    /// Not before this time (unix ms): quiet hours or the daily cap.
    Wait(i64),
}

impl Pacing {
    /// Checks the ranges, the clock times and the time zone.
    pub fn check(&self) -> Result<(), InvalidInput> {
        if !(1..=MAX_PER_MINUTE).contains(&self.per_minute) {
            return Err(InvalidInput::new(
                "pacing.per_minute",
                format!("1 to {MAX_PER_MINUTE}"),
            ));
        }
        if self.jitter_secs.is_some_and(|j| j > MAX_JITTER_SECS) {
            return Err(InvalidInput::new(
                "pacing.jitter_secs",
                format!("0 to {MAX_JITTER_SECS}"),
            ));
        }
        if self.daily_cap == Some(0) {
            return Err(InvalidInput::new("pacing.daily_cap", "at least 1"));
        }
        if let Some(q) = &self.quiet_hours {
            q.check("pacing.quiet_hours")?;
        }
        Ok(())
    }

    fn zone(&self) -> Result<Tz, InvalidInput> {
        self.quiet_hours
            .as_ref()
            .map_or(Ok(Tz::UTC), |q| q.zone("pacing.quiet_hours.tz"))
    }

    /// The gap after a send: 60 s / per_minute plus `jitter` (0..=1) of the jitter.
    pub fn gap_ms(&self, jitter: f64) -> i64 {
        let base = 60_000 / i64::from(self.per_minute.max(1));
        let extra = f64::from(self.jitter_secs.unwrap_or(0)) * 1000.0 * jitter.clamp(0.0, 1.0);
        base + extra as i64
    }

    /// The local day (`YYYY-MM-DD`) the daily cap counts in.
    pub fn day(&self, now_ms: i64) -> String {
        let tz = self.zone().unwrap_or(Tz::UTC);
        local(tz, now_ms).date_naive().to_string()
    }

    /// May a session that sent `day_count` messages on `day` send at `now_ms`?
    pub fn turn(&self, now_ms: i64, day: &str, day_count: u32) -> Turn {
        let tz = self.zone().unwrap_or(Tz::UTC);
        let here = local(tz, now_ms);
        if let Some(until) = self.quiet_hours.as_ref().and_then(|q| q.until(tz, here)) {
            return Turn::Wait(until);
        }
        let today = here.date_naive();
        let count = if today.to_string() == day {
            day_count
        } else {
            0
        };
        match self.daily_cap {
            Some(cap) if count >= cap => {
                Turn::Wait(start_of(tz, today.succ_opt().unwrap_or(today)))
            }
            _ => Turn::Send { day_count: count },
        }
    }
}

impl DailyWindow {
    /// Checks the clock times and the time zone; `field` names the window in errors.
    pub fn check(&self, field: &'static str) -> Result<(), InvalidInput> {
        let (from, to) = self.window().map_err(|(part, v)| {
            let field = if part == "from" {
                from_field(field)
            } else {
                to_field(field)
            };
            InvalidInput::new(field, format!("`{v}` is not HH:MM"))
        })?;
        if from == to {
            return Err(InvalidInput::new(field, "from and to must differ"));
        }
        self.zone(tz_field(field)).map(drop)
    }

    fn window(&self) -> Result<(NaiveTime, NaiveTime), (&'static str, String)> {
        let parse = |part: &'static str, v: &str| {
            NaiveTime::parse_from_str(v, "%H:%M")
                .ok()
                .filter(|_| v.len() == 5)
                .ok_or((part, v.to_string()))
        };
        Ok((parse("from", &self.from)?, parse("to", &self.to)?))
    }

    fn zone(&self, field: &'static str) -> Result<Tz, InvalidInput> {
        match self.tz.as_deref() {
            None => Ok(Tz::UTC),
            Some(name) => name.parse().map_err(|_| {
                InvalidInput::new(
                    field,
                    format!("`{name}` is not an IANA time zone (e.g. Europe/Berlin)"),
                )
            }),
        }
    }

    /// Is `now_ms` inside the window (in its time zone)?
    pub fn contains(&self, now_ms: i64) -> bool {
        let tz = self.zone("tz").unwrap_or(Tz::UTC);
        self.until(tz, local(tz, now_ms)).is_some()
    }

    /// When the quiet hours around `here` end (unix ms), or `None` outside them.
    fn until(&self, tz: Tz, here: DateTime<Tz>) -> Option<i64> {
        let (from, to) = self.window().ok()?;
        let now = here.time();
        let quiet = if from < to {
            now >= from && now < to
        } else {
            now >= from || now < to
        };
        if !quiet {
            return None;
        }
        let today = here.date_naive();
        let end_day = if now >= to {
            today.succ_opt().unwrap_or(today)
        } else {
            today
        };
        Some(at(tz, end_day, to))
    }
}

/// The error field names of a window's parts (static strings, for [`InvalidInput`]).
fn from_field(window: &'static str) -> &'static str {
    match window {
        "pacing.quiet_hours" => "pacing.quiet_hours.from",
        _ => "match.hours.from",
    }
}

fn to_field(window: &'static str) -> &'static str {
    match window {
        "pacing.quiet_hours" => "pacing.quiet_hours.to",
        _ => "match.hours.to",
    }
}

fn tz_field(window: &'static str) -> &'static str {
    match window {
        "pacing.quiet_hours" => "pacing.quiet_hours.tz",
        _ => "match.hours.tz",
    }
}

fn local(tz: Tz, ms: i64) -> DateTime<Tz> {
    let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    utc.with_timezone(&tz)
}

fn start_of(tz: Tz, day: NaiveDate) -> i64 {
    at(tz, day, NaiveTime::MIN)
}

/// `day` at `time` in `tz` as unix ms; a local time skipped by a DST change moves an hour on.
fn at(tz: Tz, day: NaiveDate, time: NaiveTime) -> i64 {
    let naive = day.and_time(time);
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.timestamp_millis())
        .unwrap_or_else(|| naive.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacing(json: serde_json::Value) -> Pacing {
        let p: Pacing = serde_json::from_value(json).unwrap();
        p.check().unwrap();
        p
    }

    fn ms(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn the_gap_is_a_minute_over_the_rate_plus_jitter() {
        let p = pacing(serde_json::json!({"per_minute": 60, "jitter_secs": 4}));
        assert_eq!(p.gap_ms(0.0), 1000);
        assert_eq!(p.gap_ms(0.5), 3000);
        assert_eq!(p.gap_ms(1.0), 5000);
    }

    #[test]
    fn quiet_hours_over_midnight_wait_for_their_end_in_the_time_zone() {
        let p = pacing(serde_json::json!({"per_minute": 10,
            "quiet_hours": {"from": "22:00", "to": "08:00", "tz": "Europe/Berlin"}}));
        // 23:30 in Berlin (UTC+1 in December) is quiet until 08:00 Berlin, 07:00 UTC.
        let late = ms("2026-12-03T22:30:00Z");
        assert_eq!(p.turn(late, "", 0), Turn::Wait(ms("2026-12-04T07:00:00Z")));
        // 03:00 Berlin: the same morning.
        let night = ms("2026-12-04T02:00:00Z");
        assert_eq!(p.turn(night, "", 0), Turn::Wait(ms("2026-12-04T07:00:00Z")));
        // 12:00 Berlin: send.
        let noon = ms("2026-12-04T11:00:00Z");
        assert_eq!(p.turn(noon, "", 0), Turn::Send { day_count: 0 });
    }

    #[test]
    fn the_daily_cap_waits_for_the_next_local_day_and_counts_afresh() {
        let p = pacing(serde_json::json!({"per_minute": 10, "daily_cap": 2,
            "quiet_hours": {"from": "01:00", "to": "02:00", "tz": "America/New_York"}}));
        let now = ms("2026-12-03T15:00:00Z"); // 10:00 in New York
        let day = p.day(now);
        assert_eq!(day, "2026-12-03");
        assert_eq!(p.turn(now, &day, 1), Turn::Send { day_count: 1 });
        assert_eq!(p.turn(now, &day, 2), Turn::Wait(ms("2026-12-04T05:00:00Z")));
        assert_eq!(p.turn(now, "2026-12-02", 2), Turn::Send { day_count: 0 });
    }

    #[test]
    fn bad_pacing_names_its_field() {
        for (json, field) in [
            (serde_json::json!({"per_minute": 0}), "pacing.per_minute"),
            (
                serde_json::json!({"per_minute": 1, "jitter_secs": 4000}),
                "pacing.jitter_secs",
            ),
            (
                serde_json::json!({"per_minute": 1, "daily_cap": 0}),
                "pacing.daily_cap",
            ),
            (
                serde_json::json!({"per_minute": 1, "quiet_hours": {"from": "25:00", "to": "08:00"}}),
                "pacing.quiet_hours.from",
            ),
            (
                serde_json::json!({"per_minute": 1, "quiet_hours": {"from": "22:00", "to": "08:00", "tz": "Mars/Base"}}),
                "pacing.quiet_hours.tz",
            ),
        ] {
            let p: Pacing = serde_json::from_value(json).unwrap();
            assert_eq!(p.check().unwrap_err().field, field);
        }
    }
}
