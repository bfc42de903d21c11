//! Recipients and identities: parsing what users type into JIDs the engine accepts.

use std::str::FromStr;

use wacore_binary::jid::Jid;

/// `+49 151 234567`, `49151234567` or a JID (`…@s.whatsapp.net`, `…@lid`, `…@g.us`).
pub fn parse_recipient(raw: &str) -> Result<Jid, String> {
    let raw = raw.trim();
    if raw.contains('@') {
        let jid = Jid::from_str(raw).map_err(|_| format!("`{raw}` is not a valid JID"))?;
        // `@lid` or `@s.whatsapp.net` alone parse, but name nobody.
        if jid.user.is_empty() {
            return Err(format!("`{raw}` is not a valid JID"));
        }
        return Ok(jid);
    }
    let digits = phone_digits(raw)?;
    Jid::from_str(&format!("{digits}@s.whatsapp.net"))
        .map_err(|_| format!("`{raw}` is not a phone number"))
}

/// The digits of an international phone number (7–15 of them, per E.164).
pub fn phone_digits(raw: &str) -> Result<String, String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let digits = cleaned.strip_prefix('+').unwrap_or(&cleaned);
    if (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
    {
        Ok(digits.to_string())
    } else {
        Err(format!(
            "`{raw}` is not an international phone number like +4915123456789"
        ))
    }
}

/// The JID without device part (`4915…:3@s.whatsapp.net` → `4915…@s.whatsapp.net`).
pub fn user_jid(jid: &Jid) -> String {
    jid.to_non_ad_string()
}

pub fn is_lid(jid: &Jid) -> bool {
    jid.to_string().ends_with("@lid")
}

/// A person: a phone number (`+4915…`) or a user JID (`…@s.whatsapp.net`, `…@lid`); never a
/// group or a device. Answers the JID as text.
pub fn person(raw: &str) -> Result<String, String> {
    let jid = parse_recipient(raw)?;
    if !(jid.is_pn() || jid.is_lid()) || jid.device != 0 || jid.user.is_empty() {
        return Err(format!("`{raw}` is not a phone number or a user JID"));
    }
    if jid.is_pn() && phone_digits(&jid.user).is_err() {
        return Err(format!("`{raw}` is not a phone number"));
    }
    Ok(jid_text(&jid))
}

/// A chat as WARAS stores it: the recipient's JID without a device part; see
/// [`parse_recipient`].
pub fn chat_of(raw: &str) -> Result<String, String> {
    parse_recipient(raw).map(|j| user_jid(&j))
}

/// A recipient (person or group) as JID text; see [`parse_recipient`].
pub fn recipient(raw: &str) -> Result<String, String> {
    parse_recipient(raw).map(|j| j.to_string())
}

/// A stored JID text without its device part, `None` when it does not parse.
pub fn without_device(raw: &str) -> Option<String> {
    Jid::from_str(raw).ok().map(|j| jid_text(&j))
}

/// `+` and the digits of a phone-number JID.
pub fn phone_of(jid: &Jid) -> Option<String> {
    jid.is_pn().then(|| format!("+{}", jid.user))
}

/// A user JID as a string without its device part.
pub fn jid_text(jid: &Jid) -> String {
    jid.to_non_ad().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients() {
        assert_eq!(
            parse_recipient("+49 151 2345678").unwrap().to_string(),
            "491512345678@s.whatsapp.net"
        );
        assert_eq!(
            parse_recipient("491512345678@s.whatsapp.net")
                .unwrap()
                .to_string(),
            "491512345678@s.whatsapp.net"
        );
        assert!(parse_recipient("12").is_err());
        assert!(parse_recipient("+0049").is_err());
        assert!(parse_recipient("abc").is_err());
        assert!(parse_recipient("@lid").is_err());
        assert!(parse_recipient("@g.us").is_err());
        assert!(phone_digits("+1 (555) 123-4567").is_ok());
    }
}
