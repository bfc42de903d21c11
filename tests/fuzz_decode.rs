//! Fuzzing WARAS's reading of received WhatsApp messages: arbitrary message shapes, and arbitrary
//! mutations of their protobuf bytes as the engine's decoder accepts them, never panic and always
//! give content that survives being stored and read back.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test and benchmark code: a panic is the failure report, and a scenario reads top to bottom"
)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use buffa::Message as _;
use proptest::prelude::*;
use waproto::whatsapp as wa;
use waras::domain::Content;
use waras::engine::decode::{Decoded, Origin, decode};

/// A sender's reference to another message.
#[derive(Debug, Clone)]
struct Key {
    id: Option<String>,
    from_me: Option<bool>,
    participant: Option<String>,
}

/// What a context (reply, mentions) carries.
#[derive(Debug, Clone)]
struct Context {
    stanza_id: Option<String>,
    participant: Option<String>,
    remote_jid: Option<String>,
    mentions: Vec<String>,
    quoted_text: Option<String>,
}

/// One content part a received message may carry; several may be set at once.
#[derive(Debug, Clone)]
enum Part {
    Conversation(String),
    ExtendedText(Option<String>, Option<Context>),
    Image(Option<String>, Option<u64>, Option<Vec<u8>>, Option<String>),
    Audio(Option<String>, Option<bool>),
    Document(Option<String>, Option<String>, Option<Context>),
    Sticker(Option<String>),
    Location(Option<f64>, Option<f64>, Option<String>),
    Contact(Option<String>, Option<String>),
    Poll(
        Option<String>,
        Vec<Option<String>>,
        Option<u32>,
        Option<Vec<u8>>,
    ),
    Reaction(Option<Key>, Option<String>),
    PollUpdate(Option<Key>),
    Revoke(Option<Key>),
    Edit(Option<Key>, Option<String>),
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[0-9]{5,15}@(s.whatsapp.net|g.us|lid)",
        "(BEGIN:VCARD\n)?(TEL[;a-z=]{0,10}:[+0-9 ]{0,16}\n)?.{0,10}",
        Just(String::new()),
    ]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn key() -> impl Strategy<Value = Option<Key>> {
    proptest::option::of((opt_text(), any::<Option<bool>>(), opt_text()).prop_map(
        |(id, from_me, participant)| Key {
            id,
            from_me,
            participant,
        },
    ))
}

fn context() -> impl Strategy<Value = Option<Context>> {
    proptest::option::of(
        (
            opt_text(),
            opt_text(),
            opt_text(),
            proptest::collection::vec(text(), 0..4),
            opt_text(),
        )
            .prop_map(
                |(stanza_id, participant, remote_jid, mentions, quoted_text)| Context {
                    stanza_id,
                    participant,
                    remote_jid,
                    mentions,
                    quoted_text,
                },
            ),
    )
}

fn coordinate() -> impl Strategy<Value = Option<f64>> {
    proptest::option::of(prop_oneof![
        any::<f64>(),
        -200.0f64..200.0,
        Just(f64::NAN),
        Just(f64::INFINITY),
    ])
}

fn part() -> impl Strategy<Value = Part> {
    let bytes = || proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40));
    prop_oneof![
        text().prop_map(Part::Conversation),
        (opt_text(), context()).prop_map(|(t, c)| Part::ExtendedText(t, c)),
        (opt_text(), any::<Option<u64>>(), bytes(), opt_text())
            .prop_map(|(m, l, s, c)| Part::Image(m, l, s, c)),
        (opt_text(), any::<Option<bool>>()).prop_map(|(m, v)| Part::Audio(m, v)),
        (opt_text(), opt_text(), context()).prop_map(|(m, n, c)| Part::Document(m, n, c)),
        opt_text().prop_map(Part::Sticker),
        (coordinate(), coordinate(), opt_text()).prop_map(|(a, b, n)| Part::Location(a, b, n)),
        (opt_text(), opt_text()).prop_map(|(n, v)| Part::Contact(n, v)),
        (
            opt_text(),
            proptest::collection::vec(opt_text(), 0..14),
            any::<Option<u32>>(),
            bytes()
        )
            .prop_map(|(n, o, c, s)| Part::Poll(n, o, c, s)),
        (key(), opt_text()).prop_map(|(k, e)| Part::Reaction(k, e)),
        key().prop_map(Part::PollUpdate),
        key().prop_map(Part::Revoke),
        (key(), opt_text()).prop_map(|(k, t)| Part::Edit(k, t)),
    ]
}

fn message_key(k: &Key) -> wa::MessageKey {
    wa::MessageKey {
        id: k.id.clone(),
        from_me: k.from_me,
        participant: k.participant.clone(),
        ..Default::default()
    }
}

fn context_info(c: &Context) -> wa::ContextInfo {
    let mut info = wa::ContextInfo {
        stanza_id: c.stanza_id.clone(),
        participant: c.participant.clone(),
        remote_jid: c.remote_jid.clone(),
        mentioned_jid: c.mentions.clone(),
        ..Default::default()
    };
    if let Some(q) = &c.quoted_text {
        info.quoted_message.get_or_insert_default().conversation = Some(q.clone());
    }
    info
}

fn apply(m: &mut wa::Message, part: &Part) {
    use wa::message::protocol_message::Type;
    match part {
        Part::Conversation(t) => m.conversation = Some(t.clone()),
        Part::ExtendedText(t, c) => {
            let x = m.extended_text_message.get_or_insert_default();
            x.text = t.clone();
            if let Some(c) = c {
                x.context_info = context_info(c).into();
            }
        }
        Part::Image(mime, len, sha, caption) => {
            let x = m.image_message.get_or_insert_default();
            (x.mimetype, x.file_length) = (mime.clone(), *len);
            (x.file_sha256, x.caption) = (sha.clone(), caption.clone());
        }
        Part::Audio(mime, ptt) => {
            let x = m.audio_message.get_or_insert_default();
            (x.mimetype, x.ptt) = (mime.clone(), *ptt);
        }
        Part::Document(mime, name, c) => {
            let x = m.document_message.get_or_insert_default();
            (x.mimetype, x.file_name) = (mime.clone(), name.clone());
            if let Some(c) = c {
                x.context_info = context_info(c).into();
            }
        }
        Part::Sticker(mime) => m.sticker_message.get_or_insert_default().mimetype = mime.clone(),
        Part::Location(lat, lon, name) => {
            let x = m.location_message.get_or_insert_default();
            (x.degrees_latitude, x.degrees_longitude) = (*lat, *lon);
            x.name = name.clone();
        }
        Part::Contact(name, vcard) => {
            let x = m.contact_message.get_or_insert_default();
            (x.display_name, x.vcard) = (name.clone(), vcard.clone());
        }
        Part::Poll(name, options, count, secret) => {
            let x = m.poll_creation_message_v3.get_or_insert_default();
            x.name = name.clone();
            x.selectable_options_count = *count;
            x.options = options
                .iter()
                .map(|o| wa::message::poll_creation_message::Option {
                    option_name: o.clone(),
                    ..Default::default()
                })
                .collect();
            m.message_context_info
                .get_or_insert_default()
                .message_secret = secret.clone();
        }
        Part::Reaction(k, emoji) => {
            let x = m.reaction_message.get_or_insert_default();
            x.text = emoji.clone();
            if let Some(k) = k {
                x.key = message_key(k).into();
            }
        }
        Part::PollUpdate(k) => {
            let x = m.poll_update_message.get_or_insert_default();
            if let Some(k) = k {
                x.poll_creation_message_key = message_key(k).into();
            }
        }
        Part::Revoke(k) | Part::Edit(k, _) => {
            let x = m.protocol_message.get_or_insert_default();
            x.r#type = Some(match part {
                Part::Revoke(_) => Type::Revoke,
                _ => Type::MessageEdit,
            });
            if let Some(k) = k {
                x.key = message_key(k).into();
            }
            if let Part::Edit(_, Some(t)) = part {
                x.edited_message.get_or_insert_default().conversation = Some(t.clone());
            }
        }
    }
}

/// Wraps a message the way WhatsApp wraps them: sent from another device, disappearing,
/// view once.
fn wrap(inner: wa::Message, wrapper: u8) -> wa::Message {
    let mut outer = wa::Message::default();
    match wrapper % 4 {
        0 => return inner,
        1 => outer.device_sent_message.get_or_insert_default().message = inner.into(),
        2 => outer.ephemeral_message.get_or_insert_default().message = inner.into(),
        _ => outer.view_once_message.get_or_insert_default().message = inner.into(),
    }
    outer
}

fn message() -> impl Strategy<Value = wa::Message> {
    (proptest::collection::vec(part(), 0..3), any::<u8>()).prop_map(|(parts, wrapper)| {
        let mut m = wa::Message::default();
        for p in &parts {
            apply(&mut m, p);
        }
        wrap(m, wrapper)
    })
}

/// What a decoded message must look like whatever was received.
fn assert_sane(decoded: &Decoded) {
    // Every kind round-trips through its stored name.
    assert_eq!(
        waras::domain::MessageKind::parse(decoded.kind.as_str()),
        Some(decoded.kind)
    );
    assert!(
        Decoded::event_type_of(decoded.kind)
            .as_str()
            .starts_with("message.")
    );
    let c = &decoded.content;
    // The content is stored as JSON and shown from it: reading it back must give it whole (a
    // coordinate may come back one unit in the last place off: JSON parsing is not exact).
    let mut stored = Content::from_json(&c.to_json());
    if let (Some(back), Some(sent)) = (stored.location.as_mut(), c.location.as_ref()) {
        for (b, s) in [
            (&mut back.latitude, sent.latitude),
            (&mut back.longitude, sent.longitude),
        ] {
            assert!((*b - s).abs() <= s.abs() * 1e-12, "{b} read back as {s}");
            *b = s;
        }
    }
    assert_eq!(&stored, c, "content changes when stored");
    let media_kind = decoded.kind.is_media();
    assert_eq!(
        media_kind,
        c.media.is_some(),
        "{}: media info",
        decoded.kind
    );
    if let Some(media) = &decoded.engine_ref.media {
        assert!(media_kind);
        let bytes = B64.decode(media).expect("the media reference is base64");
        assert!(!bytes.is_empty() || c.media.is_some());
    }
    if let Some(l) = &c.location {
        assert!(l.latitude.is_finite() && l.longitude.is_finite());
    }
}

const CHAT: &str = "491511111111@s.whatsapp.net";

fn origin() -> Origin<'static> {
    Origin {
        chat: CHAT,
        sender: CHAT,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn structured_messages_decode_sanely(m in message()) {
        if let Some(d) = decode(&m, &origin()) {
            assert_sane(&d);
        }
    }

    /// The engine hands over whatever its protobuf decoder accepts: mutate real encodings
    /// (flip, cut, splice bytes) and feed every message it still accepts.
    #[test]
    fn mutated_protobuf_bytes_decode_sanely(
        m in message(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..6),
    ) {
        let mut bytes = m.encode_to_vec();
        for (at, value, how) in edits {
            if bytes.is_empty() {
                bytes.push(value);
                continue;
            }
            let i = at.index(bytes.len());
            match how {
                0 => bytes[i] = value,
                1 => bytes.truncate(i),
                _ => bytes.insert(i, value),
            }
        }
        if let Ok(received) = wa::Message::decode_from_slice(&bytes)
            && let Some(d) = decode(&received, &origin())
        {
            assert_sane(&d);
        }
    }

    #[test]
    fn arbitrary_bytes_decode_sanely(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(received) = wa::Message::decode_from_slice(&bytes)
            && let Some(d) = decode(&received, &origin())
        {
            assert_sane(&d);
        }
    }
}
