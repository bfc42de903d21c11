//! Parsing of group ids and invite codes.

use super::*;

#[test]
fn group_ids() {
    assert_eq!(
        group_jid("120363012345678901@g.us").unwrap().to_string(),
        "120363012345678901@g.us"
    );
    assert_eq!(
        group_jid("120363012345678901").unwrap().to_string(),
        "120363012345678901@g.us"
    );
    assert!(group_jid("4915100000001-1600000000").is_ok());
    assert!(group_jid("120363@s.whatsapp.net").is_err());
    assert!(group_jid("abc").is_err());
    assert!(group_jid("").is_err());
}

#[test]
fn invite_codes() {
    assert_eq!(invite_code("AbC123").unwrap(), "AbC123");
    assert_eq!(
        invite_code("https://chat.whatsapp.com/AbC123").unwrap(),
        "AbC123"
    );
    assert_eq!(
        invite_code("https://chat.whatsapp.com/invite/AbC123/").unwrap(),
        "AbC123"
    );
    assert!(invite_code("https://example.com/AbC123").is_err());
    assert!(invite_code("").is_err());
    let i = invite("https://chat.whatsapp.com/XyZ");
    assert_eq!(
        (i.code.as_str(), i.url.as_str()),
        ("XyZ", "https://chat.whatsapp.com/XyZ")
    );
}
