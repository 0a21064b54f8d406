//! Finding where a key path sits in a scenario's TOML text, for error messages.

use std::path::PathBuf;

use toml::de::{DeTable, DeValue};

use crate::error::Origin;

/// Maps key paths (`domain.telecom.switching_cost`, `event[2].year`) to positions in the source text,
/// and knows which keys were set on the command line.
#[derive(Debug, Clone, Default)]
pub struct Locator {
    path: PathBuf,
    text: String,
    overrides: Vec<(String, String)>,
}

impl Locator {
    /// A locator for `text` read from `path`; `overrides` are (key path, original `--set` text).
    pub fn new(path: PathBuf, text: String, overrides: Vec<(String, String)>) -> Self {
        Locator { path, text, overrides }
    }

    /// The file this scenario came from.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Where the value at `key` came from: the `--set` that wrote it, or its line and column.
    pub fn origin(&self, key: &str) -> Origin {
        for (set_key, text) in self.overrides.iter().rev() {
            if key == set_key || key.starts_with(&format!("{set_key}.")) || key.starts_with(&format!("{set_key}[")) {
                return Origin::Override { text: text.clone() };
            }
        }
        match self.offset(key) {
            Some(offset) => {
                let (line, column) = line_column(&self.text, offset);
                Origin::File {
                    path: self.path.clone(),
                    line,
                    column,
                }
            }
            None => Origin::FileOnly { path: self.path.clone() },
        }
    }

    /// Byte offset of the deepest existing value on `key`'s path.
    fn offset(&self, key: &str) -> Option<usize> {
        let root = DeTable::parse(&self.text).ok()?;
        let mut best = None;
        let mut table: Option<&DeTable> = Some(root.get_ref());
        let mut value: Option<&DeValue> = None;
        for seg in segments(key) {
            match seg {
                Segment::Key(name) => {
                    let t = match (table, value) {
                        (Some(t), None) => t,
                        (_, Some(v)) => v.as_table()?,
                        _ => return best,
                    };
                    let Some((k, v)) = t.iter().find(|(k, _)| k.get_ref().as_ref() == name) else {
                        return best;
                    };
                    best = Some(if v.span().start < k.span().start {
                        k.span().start
                    } else {
                        v.span().start
                    });
                    table = None;
                    value = Some(v.get_ref());
                }
                Segment::Index(i) => {
                    let arr = value?.as_array()?;
                    let Some(v) = arr.get(i) else { return best };
                    best = Some(v.span().start);
                    value = Some(v.get_ref());
                }
            }
        }
        best
    }
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Split `a.b[2].c` into keys and indices.
fn segments(key: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in key.split('.') {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                out.push(Segment::Key(&rest[..open]));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let close = stripped.find(']').unwrap_or(stripped.len());
                if let Ok(i) = stripped[..close].parse() {
                    out.push(Segment::Index(i));
                }
                rest = stripped.get(close + 1..).unwrap_or("");
            }
        } else if !rest.is_empty() {
            out.push(Segment::Key(rest));
        }
    }
    out
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut end = offset;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_array_items() {
        let text = "name = \"x\"\n[choice]\nlambda = 2\n[[event]]\nyear = 1\n[[event]]\nyear = 2\n";
        let loc = Locator::new("s.toml".into(), text.into(), vec![]);
        assert_eq!(loc.origin("choice.lambda").to_string(), "s.toml:3:10");
        assert_eq!(loc.origin("event[1].year").to_string(), "s.toml:7:8");
        // A missing key falls back to its deepest existing parent.
        assert_eq!(loc.origin("choice.revision").to_string(), "s.toml:2:2");
    }

    #[test]
    fn overrides_take_precedence() {
        let loc = Locator::new("s.toml".into(), "a = 1\n".into(), vec![("a".into(), "a=2".into())]);
        assert_eq!(loc.origin("a").to_string(), "--set a=2");
    }
}
