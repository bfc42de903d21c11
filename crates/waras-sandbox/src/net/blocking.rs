//! Who blocked whom: per account, the accounts it blocked and when (unix seconds).

use super::network::Network;

impl Network {
    /// `phone` blocks (`block`) or unblocks `target`.
    pub fn set_blocked(&mut self, phone: &str, target: &str, block: bool) {
        let list = self.blocked.entry(phone.to_string()).or_default();
        if block {
            list.entry(target.to_string())
                .or_insert_with(|| chrono::Utc::now().timestamp());
        } else {
            list.remove(target);
        }
    }

    /// The accounts `phone` blocked, with when.
    pub fn blocked_by(&self, phone: &str) -> Vec<(String, i64)> {
        self.blocked
            .get(phone)
            .map(|l| l.iter().map(|(p, t)| (p.clone(), *t)).collect())
            .unwrap_or_default()
    }

    /// Whether `phone` blocked `sender` (whose messages then never reach it).
    pub fn blocks(&self, phone: &str, sender: &str) -> bool {
        self.blocked
            .get(phone)
            .is_some_and(|l| l.contains_key(sender))
    }
}
