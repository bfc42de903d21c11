//! Fuzzing the parsers of request input: a send's body (as JSON and as the typed request) and the
//! domain types every handler parses its fields into. None may panic, and what they accept must
//! keep the limits they promise.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test and benchmark code: a panic is the failure report, and a scenario reads top to bottom"
)]

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use waras::api::messages::request::{
    ContactInput, EditInput, LocationInput, MediaInput, PollInput, ReactionInput, RevokeInput,
    SendMessage, send_time,
};
use waras::domain::{Content, MessageId, Name, Scopes, SessionId, Template, TenantId};
use waras::engine::jid::{parse_recipient, phone_digits};

const KINDS: [&str; 12] = [
    "text", "image", "video", "audio", "document", "sticker", "location", "contact", "reaction",
    "poll", "edit", "revoke",
];

/// Text that is near the edges the parsers care about: empty, blank, control characters,
/// phone numbers, JIDs, and anything at all.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        ".{0,30}",
        "\\PC{0,30}",
        "[ \t\n\u{85}\u{a0}]{0,4}[a-z]{0,3}[ \t\n]{0,2}",
        "\\+?[0-9 ().-]{0,20}",
        "[0-9a-z.:_-]{0,16}@(s.whatsapp.net|g.us|lid|broadcast|newsletter|c.us|[a-z.]{0,8})",
        "[\u{0}-\u{1f}\u{7f}-\u{9f}]{1,3}",
        "BEGIN:VCARD\n.{0,20}",
        (0usize..3).prop_map(|n| "x".repeat([65_536, 65_537, 4_097][n])),
    ]
    .boxed()
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    proptest::option::weighted(0.3, s).boxed()
}

fn media() -> BoxedStrategy<MediaInput> {
    (
        opt(text()),
        opt(text()),
        opt(text()),
        opt(text()),
        opt(any::<bool>()),
    )
        .prop_map(|(data, url, mimetype, filename, voice)| MediaInput {
            data,
            url,
            mimetype,
            filename,
            voice,
        })
        .boxed()
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![any::<f64>(), -200.0f64..200.0, Just(90.0), Just(-180.0)]
}

type Parts = (
    Option<LocationInput>,
    Option<ContactInput>,
    Option<PollInput>,
);

fn parts() -> BoxedStrategy<Parts> {
    (
        opt((number(), number(), opt(text()), opt(text())).prop_map(
            |(latitude, longitude, name, address)| LocationInput {
                latitude,
                longitude,
                name,
                address,
            },
        )),
        opt(
            (text(), opt(text()), opt(text())).prop_map(|(name, phone, vcard)| ContactInput {
                name,
                phone,
                vcard,
            }),
        ),
        opt((
            text(),
            proptest::collection::vec(text(), 0..14),
            opt(any::<u32>()),
        )
            .prop_map(|(name, options, selectable_count)| PollInput {
                name,
                options,
                selectable_count,
            })),
    )
        .boxed()
}

type Addons = (
    Option<ReactionInput>,
    Option<EditInput>,
    Option<RevokeInput>,
);

fn addons() -> BoxedStrategy<Addons> {
    (
        opt((text(), text()).prop_map(|(message_id, emoji)| ReactionInput { message_id, emoji })),
        opt((text(), text()).prop_map(|(message_id, text)| EditInput { message_id, text })),
        opt(text().prop_map(|message_id| RevokeInput { message_id })),
    )
        .boxed()
}

// Boxed strategies keep the generated value trees off the test thread's small stack.
fn send_message() -> BoxedStrategy<SendMessage> {
    let kind = prop_oneof![
        proptest::sample::select(KINDS.to_vec()).prop_map(String::from),
        text()
    ];
    let head = (
        text(),
        kind,
        opt(text()),
        opt(text()),
        opt(text()),
        opt(proptest::collection::vec(text(), 0..4)),
    )
        .boxed();
    let files = (opt(media()), opt(media()), opt(media())).boxed();
    (head, files, opt(media()), opt(media()), parts(), addons())
        .prop_map(
            |(
                (to, kind, text, caption, reply_to, mentions),
                (image, video, audio),
                document,
                sticker,
                (location, contact, poll),
                (reaction, edit, revoke),
            )| {
                SendMessage {
                    to,
                    kind,
                    text,
                    caption,
                    reply_to,
                    mentions,
                    image,
                    video,
                    audio,
                    document,
                    sticker,
                    location,
                    contact,
                    reaction,
                    poll,
                    edit,
                    revoke,
                    send_at: None,
                    template: None,
                    variables: None,
                }
            },
        )
        .boxed()
}

/// A send that passed its checks keeps the promised limits.
fn assert_accepted_is_bounded(m: &SendMessage) {
    let Ok(draft) = m.check() else { return };
    assert_eq!(draft.kind.as_str(), m.kind);
    let c = &draft.content;
    if let Some(t) = &c.text {
        assert!(!t.trim().is_empty() && t.chars().count() <= 65_536);
    }
    if let Some(caption) = &c.caption {
        assert!(caption.chars().count() <= 4_096);
    }
    assert!(c.mentions.len() <= 256);
    if let Some(l) = &c.location {
        assert!((-90.0..=90.0).contains(&l.latitude) && (-180.0..=180.0).contains(&l.longitude));
    }
    if let Some(p) = &c.poll {
        assert!((2..=12).contains(&p.options.len()));
        assert!(p.selectable_count >= 1 && p.selectable_count as usize <= p.options.len());
    }
    if let Some(card) = &c.contact {
        assert!(card.vcard.to_ascii_uppercase().contains("BEGIN:VCARD"));
    }
    assert_eq!(draft.media.is_some(), draft.kind.is_media());
    // What is accepted is stored as JSON and read back whole.
    assert_eq!(&Content::from_json(&c.to_json()), c);
}

/// Any JSON value, with keys a send knows more often than chance would pick them.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        proptest::sample::select(vec![
            "to",
            "type",
            "text",
            "caption",
            "reply_to",
            "mentions",
            "image",
            "data",
            "url",
            "voice",
            "location",
            "latitude",
            "longitude",
            "contact",
            "name",
            "phone",
            "vcard",
            "poll",
            "options",
            "selectable_count",
            "reaction",
            "message_id",
            "emoji",
            "edit",
            "revoke",
        ])
        .prop_map(String::from),
        "[a-z_]{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn typed_sends_are_checked_without_panic(m in send_message()) {
        assert_accepted_is_bounded(&m);
    }

    #[test]
    fn json_sends_are_parsed_without_panic(v in json_value(), to in text(), kind in proptest::sample::select(KINDS.to_vec())) {
        // Half the bodies get a valid skeleton so the checks behind parsing run too.
        let mut v = v;
        if let Value::Object(map) = &mut v {
            map.entry("to").or_insert(Value::from(to));
            map.entry("type").or_insert(Value::from(kind));
        }
        let raw = serde_json::to_vec(&v).expect("a JSON value serializes");
        if let Ok(m) = serde_json::from_slice::<SendMessage>(&raw) {
            assert_accepted_is_bounded(&m);
        }
    }

    #[test]
    fn json_bytes_are_parsed_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(m) = serde_json::from_slice::<SendMessage>(&bytes) {
            assert_accepted_is_bounded(&m);
        }
        let _ = Content::from_json(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn domain_parsers_keep_their_promises(raw in text(), list in proptest::collection::vec(text(), 0..5)) {
        if let Ok(name) = Name::parse("name", &raw) {
            let n = name.as_str();
            assert!(!n.is_empty() && n == n.trim() && n.chars().count() <= Name::MAX_CHARS);
            assert!(!n.chars().any(char::is_control));
        }
        if let Ok(scopes) = Scopes::parse_list("scopes", &list) {
            assert!(!scopes.names().is_empty());
            assert_eq!(Scopes::from_db(&scopes.to_db()), scopes);
        }
        for id in [SessionId::parse(&raw).map(|i| i.into_string()), TenantId::parse(&raw).map(|i| i.into_string()), MessageId::parse(&raw).map(|i| i.into_string())].into_iter().flatten() {
            assert_eq!(id, raw);
            assert!(id.is_ascii() && id.len() == 36);
        }
        if let Ok(digits) = phone_digits(&raw) {
            assert!((7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()));
        }
        if let Ok(jid) = parse_recipient(&raw) {
            assert!(jid.to_string().contains('@'));
        }
        if let Ok(at) = send_time(&raw) {
            assert!(at <= chrono::Utc::now().timestamp_millis() + 367 * 24 * 3600 * 1000);
        }
        if let Ok(template) = Template::parse(&raw) {
            // Every variable it names is filled from the values, none is left missing.
            let values = template.variables().into_iter().map(|v| (v.to_string(), "x".to_string())).collect();
            assert!(template.render(&values).is_ok());
        }
    }
}
