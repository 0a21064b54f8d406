//! `--set PATH=VALUE` overrides, applied to the parsed TOML before validation.
//!
//! PATH is a dotted key path (`choice.lambda`, `domain.telecom.standards.CN`, `event[0].year`);
//! missing tables on the way are created. VALUE is read as a TOML value (`2.5`, `true`, `[1, 2]`,
//! `{ dist = "uniform", low = 1, high = 2 }`); text that is not a TOML value is taken as a string, so
//! `--set choice.revision=sequential` works without quotes.

use toml::{Table, Value};

use crate::error::{Error, Result};

/// One parsed override.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The key path, normalised (`event[0].year`).
    pub key: String,
    /// The value to write.
    pub value: Value,
    /// The argument as the user wrote it, for error messages.
    pub text: String,
}

/// Parse `PATH=VALUE`.
pub fn parse(text: &str) -> Result<Override> {
    let bad = |message: &str| Error::Override {
        text: text.to_string(),
        message: message.to_string(),
    };
    let (path, raw) = text
        .split_once('=')
        .ok_or_else(|| bad("expected PATH=VALUE, e.g. choice.lambda=2.5"))?;
    let path = path.trim();
    let steps = steps(path).map_err(|m| bad(&m))?;
    if steps.is_empty() {
        return Err(bad("the key path is empty"));
    }
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(bad("the value is empty"));
    }
    let value = match format!("v = {raw}").parse::<Table>() {
        Ok(mut t) => t.remove("v").ok_or_else(|| bad("cannot read the value"))?,
        Err(_) => Value::String(raw.to_string()),
    };
    if let Value::Float(f) = value
        && !f.is_finite()
    {
        return Err(bad("the value must be a finite number (use \"inf\" in quotes for lambda)"));
    }
    Ok(Override {
        key: render(&steps),
        value,
        text: text.to_string(),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn steps(path: &str) -> Result<Vec<Step>, String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(p) => (&part[..p], &part[p..]),
            None => (part, ""),
        };
        if name.is_empty() {
            return Err(format!("empty key segment in `{path}`"));
        }
        if !name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            return Err(format!("`{name}` is not a valid key (letters, digits, `_` and `-`)"));
        }
        out.push(Step::Key(name.to_string()));
        while !rest.is_empty() {
            let inner = rest
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .ok_or_else(|| format!("malformed index in `{part}`; expected e.g. event[0]"))?;
            let idx = inner.0.parse().map_err(|_| format!("`{}` is not an array index", inner.0))?;
            out.push(Step::Index(idx));
            rest = inner.1;
        }
    }
    Ok(out)
}

fn render(steps: &[Step]) -> String {
    let mut s = String::new();
    for st in steps {
        match st {
            Step::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Write an override into a parsed scenario (a table value).
pub fn apply(root: &mut Value, ov: &Override) -> Result<()> {
    let bad = |message: String| Error::Override {
        text: ov.text.clone(),
        message,
    };
    let steps = steps(&ov.key).map_err(bad)?;
    let mut cur: &mut Value = root;
    let mut walked = String::new();
    for (n, step) in steps.iter().enumerate() {
        let last = n + 1 == steps.len();
        match step {
            Step::Key(k) => {
                let table = cur
                    .as_table_mut()
                    .ok_or_else(|| bad(format!("`{walked}` is not a table, so it has no key `{k}`")))?;
                if last {
                    table.insert(k.clone(), ov.value.clone());
                    return Ok(());
                }
                cur = table.entry(k.clone()).or_insert_with(|| Value::Table(Table::new()));
                if !walked.is_empty() {
                    walked.push('.');
                }
                walked.push_str(k);
            }
            Step::Index(i) => {
                let arr = cur
                    .as_array_mut()
                    .ok_or_else(|| bad(format!("`{walked}` is not an array, so it has no index [{i}]")))?;
                let len = arr.len();
                let slot = arr
                    .get_mut(*i)
                    .ok_or_else(|| bad(format!("`{walked}` has {len} entries, so index [{i}] does not exist")))?;
                if last {
                    *slot = ov.value.clone();
                    return Ok(());
                }
                cur = slot;
                walked.push_str(&format!("[{i}]"));
            }
        }
    }
    Ok(())
}

/// Apply overrides in order to a parsed scenario.
pub fn apply_all(doc: Table, overrides: &[Override]) -> Result<Table> {
    let mut root = Value::Table(doc);
    for ov in overrides {
        apply(&mut root, ov)?;
    }
    match root {
        Value::Table(t) => Ok(t),
        _ => Err(Error::Usage("internal: the scenario root is not a table".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values_of_each_kind() {
        assert_eq!(parse("choice.lambda=2.5").unwrap().value, Value::Float(2.5));
        assert_eq!(
            parse("choice.revision=sequential").unwrap().value,
            Value::String("sequential".into())
        );
        assert_eq!(parse("event[0].year=2030").unwrap().key, "event[0].year");
        assert!(parse("choice.lambda").is_err());
        assert!(parse("=3").is_err());
        assert!(parse("a..b=3").is_err());
        assert!(parse("a[x]=3").is_err());
    }

    #[test]
    fn creates_missing_tables_and_refuses_bad_indices() {
        let doc: Table = "[choice]\nlambda = 1\n[[event]]\nyear = 1\n".parse().unwrap();
        let out = apply_all(doc.clone(), &[parse("utility.econ=2").unwrap(), parse("event[0].year=5").unwrap()]).unwrap();
        assert_eq!(out["utility"]["econ"], Value::Integer(2));
        assert_eq!(out["event"][0]["year"], Value::Integer(5));
        assert!(apply_all(doc.clone(), &[parse("event[3].year=5").unwrap()]).is_err());
        assert!(apply_all(doc, &[parse("choice.lambda.x=5").unwrap()]).is_err());
    }
}
