//! Which instance should run a session: rendezvous hashing of the session id over the live,
//! active instances, capped by each instance's `max_sessions`. Every instance computes the same
//! answer from the same view, so no one has to hand out assignments.
//!
//! [`decide`] turns the view into what this instance does: the free leases to take and the
//! sessions to hand over. A view that hashes the same as the last one that asked for nothing
//! asks for nothing again ([`fingerprint`]), so a settled cluster does not rank every session
//! on every tick.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use sha2::{Digest, Sha256};

use crate::db::cluster::{InstanceRow, Wanted};

/// What a placement reads from the database.
pub struct View {
    pub instances: Vec<InstanceRow>,
    pub wanted: Vec<Wanted>,
}

/// A lease this instance holds, as placement sees it.
pub struct Holding<'a> {
    pub session_id: &'a str,
    /// Being handed over already.
    pub leaving: bool,
    /// Taken after the view was read: the view may not show the session as wanted yet (it was
    /// created, or started, meanwhile), so it is not handed over on that view's word.
    pub newer: bool,
}

/// The leases to take and the sessions to hand over.
#[derive(Debug, Default, PartialEq)]
pub struct Decision {
    pub take: Vec<String>,
    pub give: Vec<String>,
}

impl Decision {
    pub fn is_empty(&self) -> bool {
        self.take.is_empty() && self.give.is_empty()
    }
}

fn hash_of(value: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// A hash of everything [`decide`] reads: equal fingerprints give equal decisions. The
/// holdings and pins are sets, so they are combined in an order that does not matter.
pub fn fingerprint(view: &View, held: &[Holding<'_>], pinned: &HashSet<String>) -> u64 {
    let mut h = DefaultHasher::new();
    for i in view.instances.iter().filter(|i| i.status == "active") {
        (&i.id, i.max_sessions).hash(&mut h);
    }
    0xffu8.hash(&mut h);
    for w in &view.wanted {
        (&w.session_id, &w.owner).hash(&mut h);
    }
    let held_set = held.iter().fold(0u64, |acc, x| {
        acc ^ hash_of((x.session_id, x.leaving, x.newer))
    });
    let pinned_set = pinned.iter().fold(0u64, |acc, x| acc ^ hash_of(x));
    (held.len(), held_set, pinned.len(), pinned_set).hash(&mut h);
    h.finish()
}

/// Which free leases of sessions placed on `me` to take (at most `max_sessions` held, 0 for no
/// cap), and which held sessions to hand over: placed elsewhere, or no longer wanted. Pinned
/// sessions and those already leaving stay as they are.
pub fn decide(
    view: &View,
    held: &[Holding<'_>],
    pinned: &HashSet<String>,
    me: &str,
    max_sessions: u32,
) -> Decision {
    let placed = assign(
        view.wanted.iter().map(|w| w.session_id.as_str()),
        &view.instances,
    );
    let mine = |sid: &str| placed.get(sid).map(String::as_str) == Some(me);
    let owned: HashSet<&str> = held.iter().map(|h| h.session_id).collect();
    let wanted_ids: HashSet<&str> = view.wanted.iter().map(|w| w.session_id.as_str()).collect();
    let mut take: Vec<String> = view
        .wanted
        .iter()
        .filter(|w| !owned.contains(w.session_id.as_str()) && mine(&w.session_id))
        .filter(|w| w.owner.is_none())
        .map(|w| w.session_id.clone())
        .collect();
    if max_sessions > 0 {
        take.truncate((max_sessions as usize).saturating_sub(held.len()));
    }
    let give = held
        .iter()
        .filter(|h| !h.leaving && !h.newer && !pinned.contains(h.session_id))
        .filter(|h| {
            !wanted_ids.contains(h.session_id)
                || placed.get(h.session_id).is_some_and(|target| target != me)
        })
        .map(|h| h.session_id.to_owned())
        .collect();
    Decision { take, give }
}

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
            lease_until: 0,
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

    fn wanted(id: &str, owner: Option<&str>) -> Wanted {
        Wanted {
            session_id: id.into(),
            owner: owner.map(Into::into),
        }
    }

    #[test]
    fn a_view_that_changes_what_placement_reads_changes_its_fingerprint() {
        let view = |owner: Option<&str>| View {
            instances: vec![instance("a", 0), instance("b", 0)],
            wanted: vec![wanted("s1", Some("a")), wanted("s2", owner)],
        };
        let none = HashSet::new();
        let held = |ids: &[&'static str]| -> Vec<Holding<'static>> {
            ids.iter()
                .map(|id| Holding {
                    session_id: id,
                    leaving: false,
                    newer: false,
                })
                .collect()
        };
        let base = fingerprint(&view(Some("b")), &held(&["s1", "s3"]), &none);
        // The same holdings in another order: the same view.
        assert_eq!(
            base,
            fingerprint(&view(Some("b")), &held(&["s3", "s1"]), &none)
        );
        // A lease freed (released, or its owner ran out), one taken by another instance, a
        // session let go, a pin: each differs.
        assert_ne!(base, fingerprint(&view(None), &held(&["s1", "s3"]), &none));
        assert_ne!(
            base,
            fingerprint(&view(Some("a")), &held(&["s1", "s3"]), &none)
        );
        assert_ne!(base, fingerprint(&view(Some("b")), &held(&["s1"]), &none));
        let pinned: HashSet<String> = ["s3".to_string()].into();
        assert_ne!(
            base,
            fingerprint(&view(Some("b")), &held(&["s1", "s3"]), &pinned)
        );
    }

    #[test]
    fn decides_to_take_free_leases_placed_here_and_give_the_rest() {
        let ids: Vec<String> = (0..40).map(|i| format!("ses_{i}")).collect();
        let two = vec![instance("a", 0), instance("b", 0)];
        let view = View {
            wanted: ids.iter().map(|id| wanted(id, None)).collect(),
            instances: two.clone(),
        };
        let placed = assign(ids.iter().map(String::as_str), &two);
        let none = HashSet::new();
        let fresh = decide(&view, &[], &none, "a", 0);
        let mut expected: Vec<String> = ids
            .iter()
            .filter(|id| placed[id.as_str()] == "a")
            .cloned()
            .collect();
        expected.sort();
        let mut took = fresh.take.clone();
        took.sort();
        assert_eq!(took, expected);
        assert!(fresh.give.is_empty());
        // Holding every session: those placed on b are handed over, none taken.
        let held: Vec<Holding<'_>> = ids
            .iter()
            .map(|id| Holding {
                session_id: id,
                leaving: false,
                newer: false,
            })
            .collect();
        let full = decide(&view, &held, &none, "a", 0);
        assert!(full.take.is_empty());
        assert_eq!(full.give.len(), ids.len() - expected.len());
        // A cap of 5 takes at most 5.
        assert_eq!(decide(&view, &[], &none, "a", 5).take.len(), 5);
    }

    #[test]
    fn a_lease_taken_after_the_view_was_read_is_not_handed_over_on_its_word() {
        let view = View {
            wanted: vec![wanted("old", Some("a"))],
            instances: vec![instance("a", 0)],
        };
        let none = HashSet::new();
        let holding = |newer| Holding {
            session_id: "new",
            leaving: false,
            newer,
        };
        // A session created and claimed while the view was read is not in its wanted list.
        let decided = decide(&view, &[holding(true)], &none, "a", 0);
        assert!(decided.give.is_empty(), "{decided:?}");
        // Once a view read after it still does not want it, it goes.
        let decided = decide(&view, &[holding(false)], &none, "a", 0);
        assert_eq!(decided.give, vec!["new".to_string()]);
        assert_ne!(
            fingerprint(&view, &[holding(true)], &none),
            fingerprint(&view, &[holding(false)], &none)
        );
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
