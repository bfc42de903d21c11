//! Message templates: text with `{{variable}}` placeholders, optionally `{{variable|default}}`.
//! A template is checked when it is saved ([`Template::parse`]) and rendered per recipient; a
//! variable with no value and no default is named in the error.

use std::collections::{BTreeMap, BTreeSet};

const MAX_NAME_CHARS: usize = 64;
const MAX_DEFAULT_CHARS: usize = 1024;

/// A parsed template: literal text and placeholders, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Variable {
        name: String,
        default: Option<String>,
    },
}

impl Template {
    /// Parses `source`; the error says what is wrong and where (a character offset).
    pub fn parse(source: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let at = source.len() - rest.len() + open;
            let inner = &rest[open + 2..];
            let close = inner.find("}}").ok_or_else(|| {
                format!(
                    "`{{{{` at {} is never closed with `}}}}`",
                    offset(source, at)
                )
            })?;
            parts.push(placeholder(&inner[..close], offset(source, at))?);
            rest = &inner[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Self { parts })
    }

    /// The variables the template uses, each once, sorted.
    pub fn variables(&self) -> BTreeSet<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Variable { name, .. } => Some(name.as_str()),
                Part::Text(_) => None,
            })
            .collect()
    }

    /// The text for `values`; `Err` names the variables that have neither a value nor a default.
    pub fn render(&self, values: &BTreeMap<String, String>) -> Result<String, Vec<String>> {
        let mut out = String::new();
        let mut missing = BTreeSet::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Variable { name, default } => match values.get(name).or(default.as_ref()) {
                    Some(v) => out.push_str(v),
                    None => {
                        missing.insert(name.clone());
                    }
                },
            }
        }
        match missing.is_empty() {
            true => Ok(out),
            false => Err(missing.into_iter().collect()),
        }
    }
}

/// The character offset of byte `at` (what a user counts in an error message).
fn offset(source: &str, at: usize) -> usize {
    source[..at].chars().count()
}

/// `name` or `name|default`, spaces around the name allowed.
fn placeholder(inner: &str, at: usize) -> Result<Part, String> {
    let (name, default) = match inner.split_once('|') {
        Some((n, d)) => (n.trim(), Some(d.to_string())),
        None => (inner.trim(), None),
    };
    if !is_variable_name(name) {
        return Err(format!(
            "`{{{{{inner}}}}}` at {at}: a variable name is 1 to {MAX_NAME_CHARS} letters, digits or \
             underscores, starting with a letter or underscore"
        ));
    }
    if default
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DEFAULT_CHARS)
    {
        return Err(format!(
            "`{name}` at {at}: a default is at most {MAX_DEFAULT_CHARS} characters"
        ));
    }
    Ok(Part::Variable {
        name: name.to_string(),
        default,
    })
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= MAX_NAME_CHARS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn renders_values_and_defaults() {
        let t =
            Template::parse("Hi {{ first_name }}, your code is {{code}}. {{sign|Team}}").unwrap();
        assert_eq!(
            t.variables().into_iter().collect::<Vec<_>>(),
            vec!["code", "first_name", "sign"]
        );
        let text = t
            .render(&values(&[("first_name", "Ana"), ("code", "42")]))
            .unwrap();
        assert_eq!(text, "Hi Ana, your code is 42. Team");
        let text = t
            .render(&values(&[
                ("first_name", "Ana"),
                ("code", "7"),
                ("sign", "Bo"),
            ]))
            .unwrap();
        assert_eq!(text, "Hi Ana, your code is 7. Bo");
    }

    #[test]
    fn names_every_missing_variable() {
        let t = Template::parse("{{b}} {{a}} {{b}} {{c|}}").unwrap();
        assert_eq!(t.render(&values(&[])), Err(vec!["a".into(), "b".into()]));
        assert_eq!(
            t.render(&values(&[("a", "1"), ("b", "2")])),
            Ok("2 1 2 ".into())
        );
    }

    #[test]
    fn refuses_malformed_placeholders() {
        assert!(
            Template::parse("Hi {{name")
                .unwrap_err()
                .contains("never closed")
        );
        assert!(
            Template::parse("Hi {{}}")
                .unwrap_err()
                .contains("variable name")
        );
        assert!(
            Template::parse("Hi {{first name}}")
                .unwrap_err()
                .contains("at 3")
        );
        assert!(Template::parse("{{9lives}}").is_err());
        assert_eq!(
            Template::parse("no placeholders }} here")
                .unwrap()
                .variables()
                .len(),
            0
        );
        assert_eq!(
            Template::parse("ünï {{x}}")
                .unwrap()
                .render(&values(&[("x", "y")])),
            Ok("ünï y".into())
        );
    }
}
