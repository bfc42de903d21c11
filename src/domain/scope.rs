use super::InvalidInput;

/// What a tenant key may do: `read` GETs anything of the tenant, `send` sends messages,
/// `manage` changes sessions, keys and webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Read,
    Send,
    Manage,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Send, Scope::Manage];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Send => "send",
            Scope::Manage => "manage",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

/// A non-empty set of scopes, kept sorted and without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    pub fn all() -> Self {
        Self(Scope::ALL.to_vec())
    }

    pub fn parse_list(field: &'static str, raw: &[String]) -> Result<Self, InvalidInput> {
        let mut scopes = Vec::with_capacity(raw.len());
        for s in raw {
            let scope = Scope::parse(s).ok_or_else(|| {
                InvalidInput::new(field, format!("unknown scope `{s}` (read, send, manage)"))
            })?;
            scopes.push(scope);
        }
        if scopes.is_empty() {
            return Err(InvalidInput::new(field, "must name at least one scope"));
        }
        scopes.sort();
        scopes.dedup();
        Ok(Self(scopes))
    }

    /// Reads the comma-separated storage form; unknown words are dropped (never widened).
    pub fn from_db(s: &str) -> Self {
        let mut scopes: Vec<Scope> = s.split(',').filter_map(Scope::parse).collect();
        scopes.sort();
        scopes.dedup();
        Self(scopes)
    }

    pub fn to_db(&self) -> String {
        self.names().join(",")
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|s| s.as_str()).collect()
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.0.iter().all(|s| other.contains(*s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_sort_and_compare() {
        let s =
            Scopes::parse_list("scopes", &["send".into(), "read".into(), "send".into()]).unwrap();
        assert_eq!(s.to_db(), "read,send");
        assert!(s.is_subset_of(&Scopes::all()));
        assert!(!Scopes::all().is_subset_of(&s));
        assert!(Scopes::parse_list("scopes", &[]).is_err());
        assert!(Scopes::parse_list("scopes", &["admin".into()]).is_err());
        assert_eq!(Scopes::from_db("manage,bogus"), Scopes(vec![Scope::Manage]));
    }
}
