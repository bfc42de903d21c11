//! Conformance scenarios for messages and the own device: sent messages, pending inbound, message
//! secrets, and the device record.

use super::*;

pub(crate) async fn sent_messages_and_pending_inbound(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    let now = chrono::Utc::now().timestamp();
    rec!(t, s.take_sent_message("c@s.whatsapp.net", "m1"));
    rec!(
        t,
        s.store_sent_message("c@s.whatsapp.net", "m1", b"payload-1")
    );
    rec!(
        t,
        s.store_sent_message("c@s.whatsapp.net", "m1", b"payload-1b")
    );
    rec!(
        t,
        s.store_sent_message("c@s.whatsapp.net", "m2", b"payload-2")
    );
    rec!(t, s.store_sent_message("g@g.us", "m1", b"payload-g"));
    rec!(t, s.take_sent_message("c@s.whatsapp.net", "m1"));
    rec!(t, s.take_sent_message("c@s.whatsapp.net", "m1")); // taken once only
    rec!(t, s.delete_expired_sent_messages(now - 3600));
    rec!(t, s.delete_expired_sent_messages(now + 3600));
    rec!(t, s.take_sent_message("g@g.us", "m1"));

    rec!(t, s.get_pending_inbound("c", "s", "i1"));
    rec!(t, s.store_pending_inbound("c", "s", "i1", b"msg-1"));
    rec!(t, s.get_pending_inbound("c", "s", "i1"));
    rec!(t, s.get_pending_inbound("c", "other", "i1"));
    let rows = [
        PendingInboundRow {
            chat: "c",
            sender: "s",
            id: "i1",
            message: b"msg-1b",
        },
        PendingInboundRow {
            chat: "c",
            sender: "s",
            id: "i2",
            message: b"msg-2",
        },
        PendingInboundRow {
            chat: "c",
            sender: "s2",
            id: "i1",
            message: b"msg-3",
        },
    ];
    rec!(t, s.store_pending_inbound_batch(&rows));
    rec!(t, s.store_pending_inbound_batch(&rows));
    rec!(t, s.get_pending_inbound("c", "s", "i1"));
    rec!(t, s.get_pending_inbound("c", "s2", "i1"));
    rec!(t, s.delete_pending_inbound("c", "s", "i1"));
    rec!(t, s.get_pending_inbound("c", "s", "i1"));
    rec!(
        t,
        s.delete_pending_inbound_batch(&[
            PendingInboundKey {
                chat: "c",
                sender: "s",
                id: "i2"
            },
            PendingInboundKey {
                chat: "c",
                sender: "nobody",
                id: "i9"
            },
        ])
    );
    rec!(t, s.get_pending_inbound("c", "s", "i2"));
    rec!(t, s.delete_expired_pending_inbound(now - 3600));
    rec!(t, s.get_pending_inbound("c", "s2", "i1"));
    rec!(t, s.delete_expired_pending_inbound(now + 3600));
    rec!(t, s.get_pending_inbound("c", "s2", "i1"));
    t
}

fn secret(chat: &str, msg: &str, byte: u8, expires_at: i64, message_ts: i64) -> MsgSecretEntry {
    MsgSecretEntry {
        chat: arc(chat),
        sender: arc("me@s.whatsapp.net"),
        msg_id: arc(msg),
        secret: [byte; 32],
        expires_at,
        message_ts,
    }
}

pub(crate) async fn msg_secrets(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    let me = "me@s.whatsapp.net";
    rec!(t, s.get_msg_secret("c", me, "m1"));
    rec!(t, s.put_msg_secret("c", me, "m1", &[1; 32]));
    rec!(t, s.get_msg_secret("c", me, "m1"));
    rec!(t, s.get_msg_secret_with_ts("c", me, "m1"));
    // Merges: "never" (0) beats any deadline; later deadline and later parent time win.
    rec!(t, s.put_msg_secrets(vec![secret("c", "m1", 2, 500, 40)]));
    rec!(t, s.get_msg_secret_with_ts("c", me, "m1"));
    rec!(
        t,
        s.put_msg_secrets(vec![
            secret("c", "m2", 3, 100, 10),
            secret("c", "m2", 4, 300, 0),
            secret("c", "m3", 5, 50, 7)
        ])
    );
    rec!(t, s.put_msg_secrets(vec![secret("c", "m2", 4, 200, 5)]));
    rec!(t, s.get_msg_secret_with_ts("c", me, "m2"));
    rec!(t, s.get_msg_secret_with_ts("c", me, "m3"));
    rec!(t, s.put_msg_secrets(Vec::new()));
    rec!(t, s.delete_expired_msg_secrets(49));
    rec!(t, s.delete_expired_msg_secrets(50)); // m3's deadline is inclusive
    rec!(t, s.get_msg_secret("c", me, "m3"));
    rec!(t, s.delete_expired_msg_secrets(300));
    rec!(t, s.get_msg_secret("c", me, "m2"));
    rec!(t, s.get_msg_secret("c", me, "m1")); // never expires
    let many: Vec<_> = (0..1200)
        .map(|i| secret("h", &format!("h{i}"), (i % 250) as u8, 0, i))
        .collect();
    rec!(t, s.put_msg_secrets(many));
    rec!(t, s.get_msg_secret_with_ts("h", me, "h1199"));
    t
}

pub(crate) async fn device(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    rec!(t, s.exists());
    t.push(format!(
        "load before create is_none: {}",
        s.load().await.unwrap().is_none()
    ));
    rec!(t, s.create());
    rec!(t, s.exists());
    t.push(format!(
        "load after create is_some: {}",
        s.load().await.unwrap().is_some()
    ));
    let mut device = wacore::store::Device::new();
    device.push_name = "WARAS test".into();
    device.pn = Some("5511000000001:7@s.whatsapp.net".parse().unwrap());
    device.lid = Some("100000012345678:7@lid".parse().unwrap());
    device.next_pre_key_id = 813;
    device.login_counter = 3;
    device.edge_routing_info = Some(vec![1, 2, 3]);
    rec!(t, s.save(&device));
    let loaded = s.load().await.unwrap().unwrap();
    t.push(
        serde_json::to_string(&loaded)
            .unwrap()
            .replace(&serde_json::to_string(&device).unwrap(), "<saved device>"),
    );
    t.push(format!(
        "device props preserved: {}",
        loaded.device_props == device.device_props
    ));
    device.push_name = "renamed".into();
    rec!(t, s.save(&device));
    t.push(format!(
        "push name after save: {}",
        s.load().await.unwrap().unwrap().push_name
    ));
    t
}
