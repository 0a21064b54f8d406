//! Reading outcome names: the canonical spelling, and the spellings of output format 1.

use super::{FAMILIES, Outcome};
use crate::error::{Error, Result};
use crate::metrics::Labels;

/// Domain and framework indices matched by a pattern's placeholders.
type Matched = (Option<usize>, Option<usize>);

/// The domain and framework names of a scenario.
type Names<'a> = (&'a [String], &'a [String]);

/// Match `text` against `pattern` (`<domain>`, `<fw>` stand for one name; parts separated by `.`,
/// or by `:` when the pattern uses `:`).
fn matches(pattern: &str, text: &str, names: Names) -> Option<Matched> {
    let sep = if pattern.contains(':') { ':' } else { '.' };
    let (ps, ts): (Vec<&str>, Vec<&str>) = (pattern.split(sep).collect(), text.split(sep).collect());
    if ps.len() != ts.len() {
        return None;
    }
    let (mut d, mut k) = (None, None);
    for (p, t) in ps.iter().zip(&ts) {
        match *p {
            "<domain>" => d = Some(names.0.iter().position(|x| x == t)?),
            "<fw>" => k = Some(names.1.iter().position(|x| x == t)?),
            literal if literal == *t => {}
            _ => return None,
        }
    }
    Some((d, k))
}

/// The outcome that `text` spells in `family`'s canonical pattern (`current`) or in one of its
/// former spellings.
fn find(text: &str, names: Names, current: bool) -> Option<Outcome> {
    FAMILIES.iter().enumerate().find_map(|(family, f)| {
        let canonical = [f.pattern()];
        let patterns: Vec<&str> = if current {
            canonical.iter().map(String::as_str).collect()
        } else {
            f.formerly.to_vec()
        };
        patterns.iter().find_map(|p| matches(p, text, names)).map(|(d, k)| Outcome {
            family,
            domain: d.unwrap_or(0),
            framework: k.unwrap_or(0),
        })
    })
}

impl Outcome {
    /// The outcome named `text`: its canonical name, or a spelling of output format 1
    /// (`share:cloud:US`, `final_pop_share.cloud.US`, `fragmentation.cloud`, `indices.hedging`...),
    /// for `--outcome`. Refused, with the list of names, if unknown or not selectable.
    pub fn parse(text: &str, labels: &Labels) -> Result<Outcome> {
        let t = text.trim();
        let names = (&labels.domains[..], &labels.frameworks[..]);
        let found = find(t, names, true).or_else(|| find(t, names, false));
        match found {
            Some(o) if o.family().uses.selectable => Ok(o),
            Some(o) => Err(Error::Usage(format!(
                "--outcome {t}: {} is not a number in every run ({}); choose another outcome, e.g. tipped.<domain>.<fw>",
                o.family().pattern(),
                o.family().about
            ))),
            None => Err(Error::Usage(format!(
                "--outcome {t}: unknown outcome; expected one of {} (domains: {}; frameworks: {})",
                FAMILIES
                    .iter()
                    .filter(|f| f.uses.selectable)
                    .map(|f| f.pattern())
                    .collect::<Vec<_>>()
                    .join(", "),
                labels.domains.join(", "),
                labels.frameworks.join(", ")
            ))),
        }
    }
}

/// If `text` is an outcome's spelling of output format 1 in a scenario of these `domains` and
/// `frameworks`, a hint naming its current spelling (for readers of saved files, which accept
/// only the current names).
pub fn former_spelling(text: &str, domains: &[String], frameworks: &[String]) -> Option<String> {
    let o = find(text, (domains, frameworks), false)?;
    let now = o.name(domains, frameworks);
    Some(format!(
        "`{text}` is the former spelling of `{now}` (outcomes were renamed in output format {}; \
         run the command again with this version of blocsim to rewrite the files)",
        super::OUTPUT_FORMAT
    ))
}
