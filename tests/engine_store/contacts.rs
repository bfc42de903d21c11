//! Conformance scenarios for what the store knows of others: LID mappings, device lists, base keys,
//! the registry, groups and trusted-contact tokens.

use super::*;

fn lid(l: &str, pn: &str, at: i64) -> LidPnMappingEntry {
    LidPnMappingEntry {
        lid: l.into(),
        phone_number: pn.into(),
        created_at: at,
        updated_at: at + 1,
        learning_source: "usync".into(),
    }
}

fn show_lids(mut v: Vec<LidPnMappingEntry>) -> String {
    v.sort_by(|a, b| a.lid.cmp(&b.lid));
    format!("{v:?}")
}

pub(crate) async fn sender_key_devices_and_lid_mappings(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    let (g1, g2) = ("g1@g.us", "g2@g.us");
    rec!(t, s.get_sender_key_devices(g1));
    rec!(
        t,
        s.set_sender_key_status(
            g1,
            &[
                ("d1@s.whatsapp.net", true),
                ("d2@lid", false),
                ("d1@s.whatsapp.net", false)
            ]
        )
    );
    rec!(
        t,
        s.set_sender_key_status(g2, &[("d1@s.whatsapp.net", true), ("d3@lid", true)])
    );
    rec_sorted!(t, s.get_sender_key_devices(g1));
    rec!(t, s.set_sender_key_status(g1, &[("d2@lid", true)]));
    rec_sorted!(t, s.get_sender_key_devices(g1));
    rec!(t, s.delete_sender_key_device_rows(&["d1@s.whatsapp.net"]));
    rec_sorted!(t, s.get_sender_key_devices(g1));
    rec_sorted!(t, s.get_sender_key_devices(g2));
    rec!(t, s.delete_sender_key_device_rows(&[]));
    rec!(t, s.clear_sender_key_devices(g1));
    rec_sorted!(t, s.get_sender_key_devices(g1));
    rec_sorted!(t, s.get_sender_key_devices(g2));
    rec!(t, s.clear_all_sender_key_devices());
    rec_sorted!(t, s.get_sender_key_devices(g2));

    rec!(t, s.get_lid_mapping("100"));
    rec!(t, s.get_pn_mapping("5511"));
    rec!(t, s.put_lid_mapping(&lid("100", "5511", 10)));
    rec!(t, s.get_lid_mapping("100"));
    rec!(t, s.get_pn_mapping("5511"));
    // The LID moves to another number: the old number no longer answers.
    rec!(t, s.put_lid_mapping(&lid("100", "5522", 20)));
    rec!(t, s.get_pn_mapping("5511"));
    rec!(t, s.get_pn_mapping("5522"));
    let batch = [
        lid("200", "5533", 30),
        lid("300", "5544", 40),
        lid("200", "5533", 31),
    ];
    rec!(t, s.put_lid_mappings(&batch));
    rec!(t, s.put_lid_mappings(&batch));
    rec!(t, s.get_lid_mapping("200"));
    rec!(t, s.get_pn_mapping("5544"));
    // A newer LID for the same number wins the reverse lookup.
    rec!(t, s.put_lid_mapping(&lid("400", "5544", 50)));
    rec!(t, s.get_pn_mapping("5544"));
    t.push(show_lids(s.get_all_lid_mappings().await.unwrap()));
    t
}

fn devices(user: &str, ids: &[u32], ts: i64) -> DeviceListRecord {
    DeviceListRecord {
        user: user.into(),
        devices: ids
            .iter()
            .map(|i| DeviceInfo::new(*i, Some(*i + 10)).with_hosting(*i == 99))
            .collect(),
        timestamp: ts,
        phash: Some(format!("2:{ts}")),
        raw_id: if ts > 1 { Some(ts as u32) } else { None },
    }
}

pub(crate) async fn base_keys_registry_and_groups(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    let addr = "5511.0:1";
    rec!(t, s.has_same_base_key(addr, "m1", b"base"));
    rec!(t, s.save_base_key(addr, "m1", b"base"));
    rec!(t, s.has_same_base_key(addr, "m1", b"base"));
    rec!(t, s.has_same_base_key(addr, "m1", b"other"));
    rec!(t, s.has_same_base_key(addr, "m2", b"base"));
    rec!(t, s.save_base_key(addr, "m1", b"other"));
    rec!(t, s.has_same_base_key(addr, "m1", b"other"));
    rec!(t, s.delete_base_key(addr, "m1"));
    rec!(t, s.has_same_base_key(addr, "m1", b"other"));

    rec!(t, s.get_devices("5511"));
    rec!(t, s.update_device_list(devices("5511", &[0, 1], 1)));
    rec!(t, s.get_devices("5511"));
    rec!(t, s.update_device_list(devices("5511", &[0, 2, 99], 2)));
    rec!(t, s.get_devices("5511"));
    let batch = vec![
        devices("5522", &[0], 3),
        devices("5533", &[], 4),
        devices("5522", &[0, 5], 5),
    ];
    rec!(t, s.update_device_lists(batch.clone()));
    rec!(t, s.update_device_lists(batch));
    rec!(t, s.get_devices("5522"));
    rec!(t, s.get_devices("5533"));
    rec!(t, s.delete_devices("5511"));
    rec!(t, s.get_devices("5511"));

    rec!(t, s.get_group_metadata("g@g.us"));
    rec!(t, s.put_group_metadata("g@g.us", b"blob-v1"));
    rec!(t, s.get_group_metadata("g@g.us"));
    rec!(t, s.put_group_metadata("g@g.us", b"blob-v2"));
    rec!(t, s.get_group_metadata("g@g.us"));
    rec!(t, s.delete_group_metadata("g@g.us"));
    rec!(t, s.get_group_metadata("g@g.us"));
    t
}

fn tc(token: &[u8], ts: i64, sender: Option<i64>) -> TcTokenEntry {
    TcTokenEntry {
        token: token.to_vec(),
        token_timestamp: ts,
        sender_timestamp: sender,
    }
}

pub(crate) async fn tc_tokens(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    rec!(t, s.get_tc_token("a@lid"));
    rec!(t, s.put_tc_token("a@lid", &tc(b"tok-a", 100, None)));
    rec!(t, s.get_tc_token("a@lid"));
    rec!(t, s.touch_tc_token_sender_timestamp("a@lid", 150));
    rec!(t, s.touch_tc_token_sender_timestamp("a@lid", 120)); // never moves back
    rec!(t, s.get_tc_token("a@lid"));
    rec!(t, s.store_received_tc_token("a@lid", b"stale", 90)); // older: ignored
    rec!(t, s.get_tc_token("a@lid"));
    rec!(t, s.store_received_tc_token("a@lid", b"fresh", 100)); // as new: wins, keeps sender
    rec!(t, s.get_tc_token("a@lid"));
    // Touch on an absent contact inserts a byte-less placeholder...
    rec!(t, s.touch_tc_token_sender_timestamp("b@lid", 200));
    rec!(t, s.get_tc_token("b@lid"));
    // ...which the first real token replaces even when older.
    rec!(t, s.store_received_tc_token("b@lid", b"tok-b", 50));
    rec!(t, s.get_tc_token("b@lid"));
    rec!(t, s.store_received_tc_token("c@lid", b"tok-c", 10));
    rec!(t, s.get_tc_token("c@lid"));
    rec!(t, s.put_tc_token("d@lid", &tc(b"", 5, Some(5))));
    rec!(t, s.put_tc_token("e@lid", &tc(b"tok-e", 5, Some(500))));
    rec_sorted!(t, s.get_all_tc_token_jids());
    // Live token (a: 100, b: 50 < 60 but sender 200 live), dead c, dead placeholder d, e kept by sender.
    rec!(t, s.delete_expired_tc_tokens(60, 180));
    rec_sorted!(t, s.get_all_tc_token_jids());
    rec!(t, s.delete_expired_tc_tokens(1000, 1000));
    rec_sorted!(t, s.get_all_tc_token_jids());
    rec!(t, s.put_tc_token("f@lid", &tc(b"tok-f", 1, None)));
    rec!(t, s.delete_tc_token("f@lid"));
    rec!(t, s.get_tc_token("f@lid"));
    t
}
