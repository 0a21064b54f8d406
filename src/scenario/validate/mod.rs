//! Turning raw scenario text into a checked [`Scenario`].
//!
//! Every check that input can fail lives here (or, for names that need the world, in
//! [`crate::model::Model::build`]), and each failure names the key path, its place in the file and
//! what was expected. This file reads the text and walks the sections in a fixed order (so the
//! first error reported never depends on anything but the input); each section has its file:
//!
//! - `extends.rs`: `extends = "PARENT"`, laying a scenario over the one it builds on;
//! - `checks.rs`: the checks every section uses (numbers and their ranges, counts, names, selectors);
//! - `settings.rs`: `[time]`, `[choice]`, `[heterogeneity]` and `[batch]`;
//! - `weights.rs`: `[utility]`, the weight of each utility term;
//! - `world.rs`, `frameworks.rs`, `domains.rs`: `[world]`, `[framework.F]`, `[domain.D]`;
//! - `events.rs`: `[[event]]`, what each kind does (and what `set` changes), with `timing.rs`
//!   (year, `when`, duration) common to all kinds.

mod checks;
mod domains;
mod events;
mod extends;
mod frameworks;
mod joint;
mod rate;
mod settings;
mod timing;
mod weights;
mod world;

use std::collections::BTreeSet;
use std::path::Path;

use self::checks::Range;
use super::Scenario;
use super::joint::Joint;
use super::locate::{Locator, line_column};
use super::overrides::{self, Override};
use super::param::Uncertain;
use super::raw::RawScenario;
use crate::error::{Error, Origin, Result};

use crate::limits::MAX_EVENTS;
pub use crate::limits::{MAX_AGENTS, MAX_RUNS, MAX_STEPS};

/// Parse, resolve `extends`, apply overrides and validate.
pub fn from_text(path: &Path, text: &str, base_dir: Option<&Path>, overrides: &[Override]) -> Result<Scenario> {
    let mut chain = vec![(extends::identity(path, None), path.to_path_buf())];
    let doc = extends::inherit(path, text, parse_table(path, text)?, base_dir, &mut chain)?;
    let doc = overrides::apply_all(doc, overrides)?;
    let locator = Locator::new(
        path.to_path_buf(),
        text.to_string(),
        overrides.iter().map(|o| (o.key.clone(), o.text.clone())).collect(),
    );
    let raw: RawScenario = serde_path_to_error::deserialize(toml::Value::Table(doc.clone())).map_err(|e| shape_error(&locator, e))?;
    let mut validator = Validator {
        locator,
        uncertain: Vec::new(),
        joints: Vec::new(),
        read: BTreeSet::new(),
    };
    // Joint sets first: parameters are checked against them. A draws file's sha256 goes into the
    // resolved scenario, so the batch's identity covers the file's content.
    let mut doc = doc;
    for (name, sha) in validator.joint_sets(&raw.joint, base_dir)? {
        if let Some(toml::Value::Table(set)) = doc.get_mut("joint").and_then(|j| j.get_mut(&name)) {
            set.insert("draws_sha256".into(), toml::Value::String(sha));
        }
    }
    let resolved = toml::to_string(&doc).map_err(|e| Error::Usage(format!("cannot render the scenario: {e}")))?;
    validator.scenario(raw, resolved, base_dir)
}

/// Parse TOML text into a table, reporting syntax errors at their file position.
fn parse_table(path: &Path, text: &str) -> Result<toml::Table> {
    text.parse().map_err(|e: toml::de::Error| {
        let mut message = first_line(e.message());
        let origin = match e.span() {
            Some(span) => {
                // Name the repeated key: the span covers it.
                if message == "duplicate key"
                    && let Some(k) = text.get(span.clone()).map(str::trim).filter(|k| !k.is_empty() && !k.contains('\n'))
                {
                    message = format!("duplicate key `{k}` (each key may be set once per table)");
                }
                let (line, column) = line_column(text, span.start);
                Origin::File {
                    path: path.to_path_buf(),
                    line,
                    column,
                }
            }
            None => Origin::FileOnly { path: path.to_path_buf() },
        };
        Error::Syntax { origin, message }
    })
}

/// A value of the wrong shape (serde's error), said at the key it concerns.
fn shape_error(locator: &Locator, e: serde_path_to_error::Error<toml::de::Error>) -> Error {
    let mut key = e.path().to_string();
    if key == "." {
        key = String::new();
    }
    let mut message = plain_expectation(&first_line(&e.inner().to_string()));
    // Name the missing key in the path, and say it is required.
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(end) = rest.find('`')
    {
        let field = rest[..end].to_string();
        message = format!("missing required key `{field}`");
        key = if key.is_empty() { field } else { format!("{key}.{field}") };
    }
    // Point at the unknown key itself rather than at the table holding it.
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some(end) = rest.find('`')
    {
        let field = &rest[..end];
        if key.is_empty() {
            key = field.to_string();
        } else if key != field && !key.ends_with(&format!(".{field}")) {
            key = format!("{key}.{field}");
        }
    }
    let shown = if key.is_empty() { "(top level)".to_string() } else { key.clone() };
    Error::invalid(locator.origin(&key), shown, message)
}

/// Say what serde expected in the words of a scenario file: "an integer", "a table", "an array".
fn plain_expectation(message: &str) -> String {
    let mut m = message.to_string();
    for (from, to) in [
        ("expected i64", "expected an integer"),
        ("expected u64", "expected a non-negative integer"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected an array"),
        ("expected a map", "expected a table"),
    ] {
        m = m.replace(from, to);
    }
    if let Some(p) = m.find("expected struct ") {
        let end = m[p + 16..].find(|c: char| !c.is_alphanumeric()).map_or(m.len(), |e| p + 16 + e);
        m.replace_range(p..end, "expected a table");
    }
    m
}

fn first_line(s: &str) -> String {
    s.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").to_string()
}

/// The checks of one scenario: where its keys are (for errors) and the uncertain parameters met so
/// far, in the order they are met (which fixes the order of the draws).
struct Validator {
    locator: Locator,
    uncertain: Vec<Uncertain>,
    /// The joint sets, checked before the sections.
    joints: Vec<Joint>,
    /// Every parameter key the sections read (set or left at its default).
    read: BTreeSet<String>,
}

impl Validator {
    /// Every section, always in this order (not the file's): the first error met is reported.
    fn scenario(mut self, raw: RawScenario, resolved: String, base_dir: Option<&Path>) -> Result<Scenario> {
        if raw.name.is_empty() || !raw.name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) || raw.name.starts_with('.') {
            return Err(self.err(
                "name",
                format!(
                    "`{}` is not usable as a directory name (ASCII letters, digits, `_`, `-`, `.`)",
                    raw.name
                ),
            ));
        }
        self.names("frameworks", &raw.frameworks, 2, 8, "frameworks")?;
        self.names("domains", &raw.domains, 1, 16, "domains")?;
        let frameworks = raw.frameworks.clone();
        let domains = raw.domains.clone();

        let (start, end) = self.time(&raw.time)?;
        let world = self.world(&raw.world, base_dir)?;
        let (lambda, revision) = self.choice(&raw.choice)?;
        let weights = self.utility_weights(&raw.utility)?;
        let rate_covariates = self.rate_covariates(&raw.rate)?;
        let depreciation = self.opt_param("investment.depreciation", &raw.investment.depreciation, Range::Probability, 0.1)?;
        let investment_scale = self.opt_param("investment.scale", &raw.investment.scale, Range::Positive, 0.01)?;

        let all = vec!["all".to_string()];
        let hedgers = self.selector(
            "hedging.states",
            raw.hedging.states.as_ref().unwrap_or(&all),
            "hedging.except",
            &raw.hedging.except,
        )?;
        let heterogeneity = self.heterogeneity(&raw.heterogeneity)?;
        let framework_specs = self.frameworks(&raw.framework, &frameworks, &domains)?;
        let domain_specs = self.domains(&raw.domain, &domains, &frameworks)?;

        if raw.events.len() > MAX_EVENTS {
            return Err(self.err("event", format!("{} events; at most {MAX_EVENTS} are supported", raw.events.len())));
        }
        let events = self.events(&raw.events, start, end, &frameworks, &domains, &framework_specs)?;
        let batch = self.batch(&raw.batch)?;
        self.check_joint_keys()?;

        Ok(Scenario {
            name: raw.name,
            description: raw.description.trim().to_string(),
            resolved,
            frameworks,
            domains,
            start,
            end,
            world,
            lambda,
            revision,
            weights,
            rate_covariates,
            depreciation,
            investment_scale,
            hedgers,
            heterogeneity,
            framework_specs,
            domain_specs,
            events,
            uncertain: self.uncertain,
            joints: self.joints,
            batch,
            locator: self.locator,
        })
    }
}
