//! Conformance scenario for app state: sync keys, versions and mutation MACs.

use super::*;

fn sorted_state(h: HashState) -> String {
    let map: BTreeMap<String, Vec<u8>> = h.index_value_map.into_iter().collect();
    format!(
        "v{} hash={:?} map={map:?} fatal={}",
        h.version,
        &h.hash[..],
        h.mac_mismatch_fatal
    )
}

fn sync_key(tag: u8) -> AppStateSyncKey {
    AppStateSyncKey {
        key_data: vec![tag; 32],
        fingerprint: vec![tag, 1, 2],
        timestamp: 1_700_000_000 + i64::from(tag),
    }
}

fn mac(i: u8, v: u8) -> AppStateMutationMAC {
    AppStateMutationMAC {
        index_mac: vec![i; 32],
        value_mac: vec![v; 32],
    }
}

pub(crate) async fn app_state(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    rec!(t, s.get_sync_key(b"k1"));
    rec!(t, s.get_latest_sync_key_id());
    rec!(t, s.set_sync_key(b"k1", sync_key(1)));
    rec!(t, s.set_sync_key(b"k2", sync_key(2)));
    rec!(t, s.get_sync_key(b"k1"));
    rec!(t, s.get_latest_sync_key_id());
    rec!(t, s.set_sync_key(b"k1", sync_key(3)));
    rec!(t, s.get_sync_key(b"k1"));
    rec!(t, s.get_latest_sync_key_id());

    t.push(sorted_state(s.get_version("regular").await.unwrap()));
    let mut state = HashState {
        version: 7,
        ..HashState::default()
    };
    state.hash[0] = 9;
    state.hash[127] = 1;
    state.index_value_map.insert("idx-a".into(), vec![1, 2, 3]);
    state.index_value_map.insert("idx-b".into(), vec![4]);
    rec!(t, s.set_version("regular", state.clone()));
    t.push(sorted_state(s.get_version("regular").await.unwrap()));
    state.version = 8;
    state.mac_mismatch_fatal = true;
    rec!(t, s.set_version("regular", state));
    t.push(sorted_state(s.get_version("regular").await.unwrap()));
    t.push(sorted_state(s.get_version("critical_block").await.unwrap()));

    rec!(t, s.get_mutation_mac("regular", &[1; 32]));
    rec!(
        t,
        s.put_mutation_macs("regular", 1, &[mac(1, 10), mac(2, 20), mac(1, 11)])
    );
    rec!(
        t,
        s.put_mutation_macs("regular", 1, &[mac(1, 10), mac(2, 20), mac(1, 11)])
    );
    rec!(t, s.put_mutation_macs("critical_block", 1, &[mac(1, 99)]));
    rec!(t, s.get_mutation_mac("regular", &[1; 32]));
    rec!(t, s.get_mutation_mac("critical_block", &[1; 32]));
    let batch: BTreeMap<_, _> = s
        .get_mutation_macs("regular", &[[1; 32], [2; 32], [3; 32]])
        .await
        .unwrap()
        .into_iter()
        .collect();
    t.push(format!("get_mutation_macs => {batch:?}"));
    rec!(
        t,
        s.delete_mutation_macs("regular", &[vec![1; 32], vec![7; 32]])
    );
    rec!(t, s.get_mutation_mac("regular", &[1; 32]));
    rec!(t, s.get_mutation_mac("regular", &[2; 32]));
    rec!(t, s.clear_mutation_macs("regular"));
    rec!(t, s.get_mutation_mac("regular", &[2; 32]));
    rec!(t, s.get_mutation_mac("critical_block", &[1; 32]));
    t
}
