use super::InvalidInput;

/// A display name for a tenant, key or session: trimmed, 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, InvalidInput> {
        let trimmed = raw.trim();
        // The raw text is bounded too, as the API document declares it: blanks around a name are
        // dropped, not a way past the limit.
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(InvalidInput::new(
                field,
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if trimmed.is_empty() {
            return Err(InvalidInput::new(field, "must not be empty"));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(InvalidInput::new(
                field,
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(InvalidInput::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Self(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Name::parse("name", "  sales ").unwrap().as_str(), "sales");
        assert!(Name::parse("name", "   ").is_err());
        assert!(Name::parse("name", &"x".repeat(101)).is_err());
        assert!(Name::parse("name", &"é".repeat(100)).is_ok());
        assert!(Name::parse("name", "a\u{0}b").is_err());
        assert!(Name::parse("name", &format!(" {} ", "x".repeat(99))).is_err());
    }
}
