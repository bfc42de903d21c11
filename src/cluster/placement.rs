//! Which instance should run a session: rendezvous hashing of the session id over the live,
//! active instances, capped by each instance's `max_sessions`. Every instance computes the same
//! answer from the same view, so no one has to hand out assignments.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::db::cluster::InstanceRow;

fn score(session_id: &str, instance_id: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(session_id.as_bytes())
        .chain_update([0u8])
        .chain_update(instance_id.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The instances in the order a session prefers them.
pub fn ranking<'a>(session_id: &str, instances: &'a [InstanceRow]) -> Vec<&'a InstanceRow> {
    let mut ranked: Vec<&InstanceRow> = instances.iter().collect();
    ranked.sort_by_key(|i| std::cmp::Reverse(score(session_id, &i.id)));
    ranked
}

/// Assigns every session to an active instance: its first choice with room left (sessions
/// already counted against `max_sessions`), or `None` when every instance is full.
pub fn assign<'a>(
    sessions: impl IntoIterator<Item = &'a str>,
    instances: &[InstanceRow],
) -> HashMap<&'a str, String> {
    let active: Vec<InstanceRow> = instances
        .iter()
        .filter(|i| i.status == "active")
        .cloned()
        .collect();
    let mut load: HashMap<&str, u64> = HashMap::new();
    let mut out = HashMap::new();
    for session in sessions {
        let choice = ranking(session, &active).into_iter().find(|i| {
            i.max_sessions <= 0
                || load.get(i.id.as_str()).copied().unwrap_or(0) < i.max_sessions as u64
        });
        if let Some(i) = choice {
            *load.entry(i.id.as_str()).or_insert(0) += 1;
            out.insert(session, i.id.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str, max: i32) -> InstanceRow {
        InstanceRow {
            id: id.into(),
            advertise_url: String::new(),
            status: "active".into(),
            max_sessions: max,
            started_at: 0,
            last_seen_at: 0,
            sessions: 0,
            now: 0,
        }
    }

    #[test]
    fn spreads_evenly_and_moves_little_when_an_instance_joins() {
        let ids: Vec<String> = (0..3000).map(|i| format!("ses_{i}")).collect();
        let three = [instance("a", 0), instance("b", 0), instance("c", 0)];
        let before = assign(ids.iter().map(String::as_str), &three);
        for name in ["a", "b", "c"] {
            let n = before.values().filter(|v| *v == name).count();
            assert!((800..1200).contains(&n), "{name}: {n}");
        }
        let four = [
            three[0].clone(),
            three[1].clone(),
            three[2].clone(),
            instance("d", 0),
        ];
        let after = assign(ids.iter().map(String::as_str), &four);
        let moved = ids
            .iter()
            .filter(|s| before[s.as_str()] != after[s.as_str()])
            .count();
        let to_d = after.values().filter(|v| *v == "d").count();
        // Only the sessions the new instance takes move: about a quarter.
        assert_eq!(moved, to_d);
        assert!((550..950).contains(&moved), "{moved}");
    }

    #[test]
    fn respects_max_sessions() {
        let ids: Vec<String> = (0..100).map(|i| format!("ses_{i}")).collect();
        let capped = [instance("a", 10), instance("b", 0)];
        let placed = assign(ids.iter().map(String::as_str), &capped);
        assert_eq!(placed.values().filter(|v| *v == "a").count(), 10);
        assert_eq!(placed.len(), 100);
        let full = [instance("a", 10), instance("b", 20)];
        assert_eq!(assign(ids.iter().map(String::as_str), &full).len(), 30);
    }
}
