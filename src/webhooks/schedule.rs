//! When a failed delivery is tried again.

use rand::Rng;

/// The default schedule, in seconds after each failed attempt: about 4 days in all.
pub const DEFAULT_SCHEDULE_SECS: [u64; 13] = [
    5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 86400, 86400,
];

/// The longest a Retry-After header may push a retry out.
const MAX_RETRY_AFTER_SECS: u64 = 86400;

#[derive(Debug, Clone)]
pub struct RetrySchedule {
    delays_secs: Vec<u64>,
}

impl RetrySchedule {
    pub fn new(delays_secs: Vec<u64>) -> Self {
        Self { delays_secs }
    }

    /// Milliseconds until the next attempt after `attempts` failed ones, or `None` when the schedule
    /// is spent. ±20 % jitter spreads retries of many deliveries; `retry_after` (from a 429/503)
    /// is honoured when it asks for more.
    pub fn next_delay_ms(&self, attempts: u32, retry_after_secs: Option<u64>) -> Option<i64> {
        let base = *self.delays_secs.get(attempts.checked_sub(1)? as usize)?;
        let jitter = rand::thread_rng().gen_range(0.8..1.2);
        let mut ms = (base as f64 * 1000.0 * jitter) as i64;
        if let Some(after) = retry_after_secs {
            ms = ms.max((after.min(MAX_RETRY_AFTER_SECS) * 1000) as i64);
        }
        Some(ms.max(1))
    }

    pub fn total_secs(&self) -> u64 {
        self.delays_secs.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_spans_three_days() {
        let s = RetrySchedule::new(DEFAULT_SCHEDULE_SECS.to_vec());
        assert!(s.total_secs() >= 3 * 86400);
        let first = s.next_delay_ms(1, None).unwrap();
        assert!((4000..=6000).contains(&first), "{first}");
        assert!(s.next_delay_ms(14, None).is_none());
        assert!(s.next_delay_ms(1, Some(120)).unwrap() >= 120_000);
        assert!(s.next_delay_ms(0, None).is_none());
    }
}
