//! Turning raw scenario text into a checked [`Scenario`].
//!
//! Every check that input can fail lives here (or, for names that need the world, in
//! [`crate::model::Model::build`]), and each failure names the key path, its place in the file and
//! what was expected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::locate::{Locator, line_column};
use super::overrides::{self, Override};
use super::param::{Param, RawParam, Uncertain};
use super::raw::*;
use super::*;
use crate::error::{Error, Origin, Result};

pub use crate::limits::{MAX_AGENTS, MAX_RUNS, MAX_STEPS};
use crate::limits::{MAX_DATA_BYTES, MAX_DEGREE, MAX_EVENTS, MAX_INITIAL_RULES};

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

/// Deepest chain of `extends` a scenario may use.
const MAX_EXTENDS: usize = 8;

/// A name for a scenario source that is the same however it is reached, for cycle detection.
fn identity(path: &Path, bundled_name: Option<&str>) -> String {
    match bundled_name {
        Some(n) => format!("bundled:{n}"),
        None => std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string(),
    }
}

/// Resolve `extends = "PARENT"`: the parent (a bundled name, or a file relative to the child) is
/// loaded (with its own parents), then the child is laid over it: tables merge key by key, any
/// other value of the child replaces the parent's, and the child's `[[event]]`s are appended to the
/// parent's. `chain` holds the sources already on the way (for cycles) and their paths.
fn inherit(
    path: &Path,
    text: &str,
    mut doc: toml::Table,
    base_dir: Option<&Path>,
    chain: &mut Vec<(String, PathBuf)>,
) -> Result<toml::Table> {
    let Some(parent) = doc.remove("extends") else { return Ok(doc) };
    let at = Locator::new(path.to_path_buf(), text.to_string(), Vec::new()).origin("extends");
    let fail = |message: String| Error::invalid(at.clone(), "extends", message);
    let toml::Value::String(name) = parent else {
        return Err(fail(format!(
            "expected the name or path of the scenario to build on, e.g. \"baseline\", found {}",
            parent.type_str()
        )));
    };
    let candidate = base_dir.map(|d| d.join(&name));
    let path_like = name.ends_with(".toml") || name.contains('/') || name.contains(std::path::MAIN_SEPARATOR);
    let target = match &candidate {
        Some(c) if c.is_file() || (path_like && bundled::get(&name).is_none()) => c.display().to_string(),
        _ => name.clone(),
    };
    let (ppath, ptext, pdir) = bundled::resolve(&target).map_err(|e| fail(format!("cannot load `{name}`: {e}")))?;
    let id = identity(&ppath, if pdir.is_none() { Some(target.as_str()) } else { None });
    if chain.iter().any(|(c, _)| *c == id) {
        let mut names: Vec<String> = chain.iter().map(|(_, p)| p.display().to_string()).collect();
        names.push(ppath.display().to_string());
        return Err(fail(format!("`extends` makes a cycle: {}", names.join(" -> "))));
    }
    if chain.len() > MAX_EXTENDS {
        return Err(fail(format!("more than {MAX_EXTENDS} levels of `extends`")));
    }
    chain.push((id, ppath.clone()));
    let parent = inherit(&ppath, &ptext, parse_table(&ppath, &ptext)?, pdir.as_deref(), chain)?;
    Ok(merge(parent, doc))
}

/// Lay `child` over `parent` (see [`inherit`]).
fn merge(mut parent: toml::Table, child: toml::Table) -> toml::Table {
    for (key, value) in child {
        let merged = match (parent.remove(&key), value) {
            (Some(toml::Value::Table(p)), toml::Value::Table(c)) => toml::Value::Table(merge(p, c)),
            (Some(toml::Value::Array(mut p)), toml::Value::Array(c)) if key == "event" => {
                p.extend(c);
                toml::Value::Array(p)
            }
            (_, c) => c,
        };
        parent.insert(key, merged);
    }
    parent
}

/// Parse, resolve `extends`, apply overrides and validate.
pub fn from_text(path: &Path, text: &str, base_dir: Option<&Path>, overrides: &[Override]) -> Result<Scenario> {
    let mut chain = vec![(identity(path, None), path.to_path_buf())];
    let doc = inherit(path, text, parse_table(path, text)?, base_dir, &mut chain)?;
    let doc = overrides::apply_all(doc, overrides)?;
    let locator = Locator::new(
        path.to_path_buf(),
        text.to_string(),
        overrides.iter().map(|o| (o.key.clone(), o.text.clone())).collect(),
    );
    let raw: RawScenario = serde_path_to_error::deserialize(toml::Value::Table(doc.clone())).map_err(|e| {
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
    })?;
    let resolved = toml::to_string(&doc).map_err(|e| Error::Usage(format!("cannot render the scenario: {e}")))?;
    let scenario = Validator {
        locator,
        uncertain: Vec::new(),
    }
    .scenario(raw, resolved, base_dir)?;
    Ok(scenario)
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

/// Allowed range of a number.
#[derive(Clone, Copy)]
enum Range {
    Any,
    NonNegative,
    Positive,
    Probability,
    /// Non-negative, and infinity allowed.
    NonNegativeOrInf,
}

impl Range {
    fn contains(self, v: f64) -> bool {
        match self {
            Range::Any => v.is_finite(),
            Range::NonNegative => v.is_finite() && v >= 0.0,
            Range::Positive => v.is_finite() && v > 0.0,
            Range::Probability => (0.0..=1.0).contains(&v),
            Range::NonNegativeOrInf => v >= 0.0 && !v.is_nan(),
        }
    }
    fn expected(self) -> &'static str {
        match self {
            Range::Any => "a finite number",
            Range::NonNegative => "a finite number >= 0",
            Range::Positive => "a finite number > 0",
            Range::Probability => "a probability in [0, 1]",
            Range::NonNegativeOrInf => "a number >= 0 or \"inf\"",
        }
    }
    fn bounds(self) -> (f64, f64) {
        match self {
            Range::Any => (f64::NEG_INFINITY, f64::INFINITY),
            Range::NonNegative | Range::NonNegativeOrInf => (0.0, f64::INFINITY),
            Range::Positive => (f64::MIN_POSITIVE, f64::INFINITY),
            Range::Probability => (0.0, 1.0),
        }
    }
}

struct Validator {
    locator: Locator,
    uncertain: Vec<Uncertain>,
}

impl Validator {
    fn err(&self, key: &str, message: impl Into<String>) -> Error {
        Error::invalid(self.locator.origin(key), key, message)
    }

    fn number(&self, key: &str, v: f64, range: Range) -> Result<f64> {
        if range.contains(v) {
            Ok(v)
        } else {
            Err(self.err(key, format!("expected {}, found {v}", range.expected())))
        }
    }

    fn count(&self, key: &str, v: i64, min: i64, max: i64) -> Result<usize> {
        if v < min || v > max {
            if max == i64::MAX {
                return Err(self.err(key, format!("expected an integer >= {min}, found {v}")));
            }
            return Err(self.err(key, format!("expected an integer from {min} to {max}, found {v}")));
        }
        Ok(v as usize)
    }

    fn param(&mut self, key: &str, raw: &RawParam, range: Range) -> Result<Param> {
        match raw {
            RawParam::Value(v) => self.number(key, *v, range).map(Param::Fixed),
            RawParam::Dist(d) => {
                d.check().map_err(|m| self.err(key, m))?;
                let (lo, hi) = d.support();
                let (min, max) = range.bounds();
                if lo < min || hi > max {
                    return Err(self.err(
                        key,
                        format!(
                            "expected {}, but this distribution can draw values in [{lo}, {hi}]",
                            range.expected()
                        ),
                    ));
                }
                self.uncertain.push(Uncertain {
                    key: key.to_string(),
                    dist: d.clone(),
                });
                Ok(Param::Drawn(self.uncertain.len() - 1))
            }
        }
    }

    fn opt_param(&mut self, key: &str, raw: &Option<RawParam>, range: Range, default: f64) -> Result<Param> {
        match raw {
            Some(r) => self.param(key, r, range),
            None => Ok(Param::Fixed(default)),
        }
    }

    fn names(&self, key: &str, names: &[String], min: usize, max: usize, what: &str) -> Result<()> {
        if names.len() < min || names.len() > max {
            return Err(self.err(key, format!("expected {min} to {max} {what}, found {}", names.len())));
        }
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(self.err(
                    &format!("{key}[{i}]"),
                    format!("`{n}` is not a valid name (ASCII letters, digits, `_` and `-`)"),
                ));
            }
            if names[..i].contains(n) {
                return Err(self.err(&format!("{key}[{i}]"), format!("`{n}` is listed twice")));
            }
        }
        Ok(())
    }

    fn index_of(&self, key: &str, list: &[String], name: &str, what: &str) -> Result<usize> {
        list.iter()
            .position(|n| n == name)
            .ok_or_else(|| self.err(key, format!("unknown {what} `{name}`; expected one of: {}", list.join(", "))))
    }

    fn selector(&self, key: &str, include: &[String], except_key: &str, except: &[String]) -> Result<Selector> {
        for (i, t) in include.iter().enumerate() {
            if t.trim().is_empty() {
                return Err(self.err(&format!("{key}[{i}]"), "empty state selector"));
            }
        }
        for (i, t) in except.iter().enumerate() {
            if t.trim().is_empty() {
                return Err(self.err(&format!("{except_key}[{i}]"), "empty state selector"));
            }
        }
        Ok(Selector {
            include: include.to_vec(),
            except: except.to_vec(),
            key: key.to_string(),
            except_key: except_key.to_string(),
        })
    }

    fn domain_mask(&self, key: &str, names: &[String], domains: &[String]) -> Result<Vec<bool>> {
        if names.is_empty() {
            return Err(self.err(key, "expected at least one domain"));
        }
        let mut mask = vec![false; domains.len()];
        for (i, n) in names.iter().enumerate() {
            mask[self.index_of(&format!("{key}[{i}]"), domains, n, "domain")?] = true;
        }
        Ok(mask)
    }

    /// Shares keyed by framework name, checked to be probabilities summing to 1.
    fn shares(&self, key: &str, map: &BTreeMap<String, f64>, frameworks: &[String]) -> Result<Vec<f64>> {
        let mut out = vec![0.0; frameworks.len()];
        for (name, &v) in map {
            let k = self.index_of(&format!("{key}.{name}"), frameworks, name, "framework")?;
            out[k] = self.number(&format!("{key}.{name}"), v, Range::Probability)?;
        }
        let sum: f64 = out.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(self.err(key, format!("expected shares summing to 1, found a sum of {sum}")));
        }
        Ok(out)
    }

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

        // Time.
        if !(-100_000..=100_000).contains(&raw.time.start) {
            return Err(self.err(
                "time.start",
                format!("expected a year from -100000 to 100000, found {}", raw.time.start),
            ));
        }
        let start = raw.time.start as Year;
        if raw.time.end <= raw.time.start {
            return Err(self.err(
                "time.end",
                format!("expected a year after time.start = {}, found {}", raw.time.start, raw.time.end),
            ));
        }
        // In i128: `end - start` of two arbitrary i64 may overflow.
        let horizon = i128::from(raw.time.end) - i128::from(raw.time.start);
        if horizon > MAX_STEPS as i128 {
            return Err(self.err(
                "time.end",
                format!("the horizon is {horizon} years (time.end − time.start); at most {MAX_STEPS} are supported"),
            ));
        }
        let end = raw.time.end as i32;

        let world = self.world(&raw.world, base_dir)?;

        // Choice.
        let lambda = self.param("choice.lambda", &raw.choice.lambda, Range::NonNegativeOrInf)?;
        let revision = match raw.choice.revision.as_str() {
            "synchronous" => Revision::Synchronous,
            "sequential" => Revision::Sequential,
            other => {
                return Err(self.err(
                    "choice.revision",
                    format!("expected \"synchronous\" or \"sequential\", found \"{other}\""),
                ));
            }
        };

        // Utility weights.
        let u = &raw.utility;
        let raws = [
            &u.econ,
            &u.investment,
            &u.network,
            &u.affinity,
            &u.security,
            &u.standards,
            &u.hedging,
        ];
        let mut weights = [Param::Fixed(0.0); TERMS];
        for (t, r) in raws.iter().enumerate() {
            weights[t] = self.opt_param(&format!("utility.{}", TERM_NAMES[t]), r, Range::Any, 0.0)?;
        }
        let depreciation = self.opt_param("investment.depreciation", &raw.investment.depreciation, Range::Probability, 0.1)?;
        let investment_scale = self.opt_param("investment.scale", &raw.investment.scale, Range::Positive, 0.01)?;

        let all = vec!["all".to_string()];
        let hedgers = self.selector(
            "hedging.states",
            raw.hedging.states.as_ref().unwrap_or(&all),
            "hedging.except",
            &raw.hedging.except,
        )?;

        let heterogeneity = {
            let scale = self.number("heterogeneity.scale", raw.heterogeneity.scale.unwrap_or(0.0), Range::NonNegative)?;
            match raw.heterogeneity.distribution.as_deref() {
                None | Some("none") => Heterogeneity::None,
                Some("uniform") => Heterogeneity::Uniform(scale),
                Some("normal") => Heterogeneity::Normal(scale),
                Some(o) => {
                    return Err(self.err(
                        "heterogeneity.distribution",
                        format!("expected \"none\", \"uniform\" or \"normal\", found \"{o}\""),
                    ));
                }
            }
        };

        // Frameworks.
        for name in raw.framework.keys() {
            self.index_of(&format!("framework.{name}"), &frameworks, name, "framework")?;
        }
        let mut framework_specs = Vec::new();
        for name in &frameworks {
            let f = raw.framework.get(name).cloned().unwrap_or_default();
            framework_specs.push(self.framework(name, &f, &domains)?);
        }

        // Domains.
        for name in raw.domain.keys() {
            self.index_of(&format!("domain.{name}"), &domains, name, "domain")?;
        }
        let mut domain_specs = Vec::new();
        for name in &domains {
            let d = raw.domain.get(name).ok_or_else(|| {
                self.err(
                    "domain",
                    format!("missing table [domain.{name}] (revision_rate, switching_cost, initial)"),
                )
            })?;
            domain_specs.push(self.domain(name, d, &frameworks)?);
        }

        if raw.events.len() > MAX_EVENTS {
            return Err(self.err("event", format!("{} events; at most {MAX_EVENTS} are supported", raw.events.len())));
        }
        let events = self.events(&raw.events, start, end, &frameworks, &domains, &framework_specs)?;

        let runs = self.count("batch.runs", raw.batch.runs.unwrap_or(1000), 1, MAX_RUNS as i64)? as u64;
        let batch = BatchDefaults {
            runs,
            seed: raw.batch.seed.unwrap_or(1),
            detail: raw.batch.detail.unwrap_or(true),
        };

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
            depreciation,
            investment_scale,
            hedgers,
            heterogeneity,
            framework_specs,
            domain_specs,
            events,
            uncertain: self.uncertain,
            batch,
            locator: self.locator,
        })
    }

    fn world(&self, w: &RawWorld, base_dir: Option<&Path>) -> Result<WorldSpec> {
        let rel = |p: &Path| -> PathBuf {
            match base_dir {
                Some(dir) if p.is_relative() => dir.join(p),
                _ => p.to_path_buf(),
            }
        };
        let source = match w.source.as_str() {
            "countries" => WorldSource::Countries {
                data_dir: w.data_dir.as_deref().map(rel),
                include_non_sovereign: w.include_non_sovereign,
            },
            "synthetic" => {
                let s = w.synthetic.as_ref().ok_or_else(|| {
                    self.err(
                        "world.synthetic",
                        "source = \"synthetic\" needs a [world.synthetic] table (agents, degree)",
                    )
                })?;
                // No upper bound here: the memory estimate (crate::limits) refuses large worlds
                // with the figures, after the rest of the scenario is known.
                let agents = self.count("world.synthetic.agents", s.agents, 2, i64::MAX)?;
                let degree = self.count("world.synthetic.degree", s.degree, 0, (agents - 1).min(MAX_DEGREE) as i64)?;
                let gdp_sigma = self.number("world.synthetic.gdp_sigma", s.gdp_sigma, Range::NonNegative)?;
                let groups = self.count("world.synthetic.groups", s.groups, 0, 64)?;
                WorldSource::Synthetic {
                    agents,
                    degree,
                    seed: s.seed,
                    gdp_sigma,
                    groups,
                }
            }
            "custom" => {
                let c = w
                    .custom
                    .as_ref()
                    .ok_or_else(|| self.err("world.custom", "source = \"custom\" needs a [world.custom] table (agents, ties)"))?;
                let (agents, ties) = (rel(&c.agents), rel(&c.ties));
                for (key, file) in [("world.custom.agents", &agents), ("world.custom.ties", &ties)] {
                    // A regular file of bounded size: not a directory, a device or a pipe that never ends.
                    let meta = std::fs::metadata(file)
                        .and_then(|m| std::fs::File::open(file).map(|_| m))
                        .map_err(|e| self.err(key, format!("cannot read {}: {e}", file.display())))?;
                    if !meta.is_file() {
                        return Err(self.err(key, format!("{} is not a regular file; expected a CSV file", file.display())));
                    }
                    if meta.len() > MAX_DATA_BYTES {
                        return Err(self.err(
                            key,
                            format!(
                                "{} is {}; at most {} are read",
                                file.display(),
                                crate::limits::human(meta.len()),
                                crate::limits::human(MAX_DATA_BYTES)
                            ),
                        ));
                    }
                }
                WorldSource::Custom {
                    agents,
                    ties,
                    raw_weights: c.raw_weights,
                }
            }
            other => {
                return Err(self.err(
                    "world.source",
                    format!("expected \"countries\", \"synthetic\" or \"custom\", found \"{other}\""),
                ));
            }
        };
        let g = &w.gravity;
        let gravity = Gravity {
            origin_gdp_exponent: self.number("world.gravity.origin_gdp_exponent", g.origin_gdp_exponent, Range::NonNegative)?,
            partner_gdp_exponent: self.number("world.gravity.partner_gdp_exponent", g.partner_gdp_exponent, Range::NonNegative)?,
            distance_exponent: self.number("world.gravity.distance_exponent", g.distance_exponent, Range::NonNegative)?,
            min_distance_km: self.number("world.gravity.min_distance_km", g.min_distance_km, Range::Positive)?,
            top_partners: self.count("world.gravity.top_partners", g.top_partners, 1, 10_000)?,
            bloc_boost: g
                .bloc_boost
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        self.number(&format!("world.gravity.bloc_boost.{k}"), *v, Range::Positive)?,
                    ))
                })
                .collect::<Result<_>>()?,
        };
        Ok(WorldSpec { source, gravity })
    }

    fn framework(&mut self, name: &str, f: &RawFramework, domains: &[String]) -> Result<FrameworkSpec> {
        let key = format!("framework.{name}");
        let freedom_ideal = match f.freedom_ideal {
            Some(v) => Some(self.number(&format!("{key}.freedom_ideal"), v, Range::NonNegative).and_then(|v| {
                if v <= 10.0 {
                    Ok(v)
                } else {
                    Err(self.err(
                        &format!("{key}.freedom_ideal"),
                        format!("expected a score on the 0-10 freedom scale, found {v}"),
                    ))
                }
            })?),
            None => None,
        };
        let freedom_weight = self.opt_param(&format!("{key}.freedom_weight"), &f.freedom_weight, Range::Any, 0.0)?;
        if freedom_ideal.is_none() && f.freedom_weight.is_some() {
            return Err(self.err(
                &format!("{key}.freedom_weight"),
                "freedom_weight needs freedom_ideal (the framework's ideal point on the 0-10 scale)",
            ));
        }
        let mut affinity = Vec::new();
        for (g, p) in &f.affinity {
            let k = format!("{key}.affinity.{g}");
            affinity.push((g.clone(), self.param(&k, p, Range::Any)?, k));
        }
        let mut security = Vec::new();
        for (g, p) in &f.security {
            let k = format!("{key}.security.{g}");
            security.push((g.clone(), self.param(&k, p, Range::Any)?, k));
        }
        let sponsor = match &f.sponsor {
            None => None,
            Some(s) => {
                let sk = format!("{key}.sponsor");
                let budget = self.param(&format!("{sk}.budget"), &s.budget, Range::NonNegative)?;
                let strategy = match s.strategy.as_str() {
                    "uniform" => Strategy::Uniform,
                    "gdp" => Strategy::Gdp,
                    "swing" => Strategy::Swing,
                    "partners" => Strategy::Partners,
                    o => {
                        return Err(self.err(
                            &format!("{sk}.strategy"),
                            format!("expected \"uniform\", \"gdp\", \"swing\" or \"partners\", found \"{o}\""),
                        ));
                    }
                };
                let mut split = vec![0.0; domains.len()];
                for (d, v) in &s.split {
                    let dk = format!("{sk}.split.{d}");
                    split[self.index_of(&dk, domains, d, "domain")?] = self.number(&dk, *v, Range::Probability)?;
                }
                let sum: f64 = split.iter().sum();
                if (sum - 1.0).abs() > 1e-6 {
                    return Err(self.err(
                        &format!("{sk}.split"),
                        format!("expected domain shares summing to 1, found a sum of {sum}"),
                    ));
                }
                let all = vec!["all".to_string()];
                let targets = self.selector(
                    &format!("{sk}.targets"),
                    s.targets.as_ref().unwrap_or(&all),
                    &format!("{sk}.exclude"),
                    &s.exclude,
                )?;
                Some(SponsorSpec {
                    budget,
                    strategy,
                    split,
                    targets,
                })
            }
        };
        Ok(FrameworkSpec {
            name: name.to_string(),
            home: self.selector(&format!("{key}.home"), &f.home, "", &[])?,
            freedom_ideal,
            freedom_weight,
            affinity,
            security,
            sponsor,
        })
    }

    fn domain(&mut self, name: &str, d: &RawDomain, frameworks: &[String]) -> Result<DomainSpec> {
        let key = format!("domain.{name}");
        let revision_rate = self.param(&format!("{key}.revision_rate"), &d.revision_rate, Range::Probability)?;
        let switching_cost = self.param(&format!("{key}.switching_cost"), &d.switching_cost, Range::NonNegative)?;
        let mut anchored = vec![false; frameworks.len()];
        for (i, f) in d.anchored.iter().enumerate() {
            anchored[self.index_of(&format!("{key}.anchored[{i}]"), frameworks, f, "framework")?] = true;
        }
        let mut standards = vec![Param::Fixed(0.0); frameworks.len()];
        for (f, p) in &d.standards {
            let k = format!("{key}.standards.{f}");
            let idx = self.index_of(&k, frameworks, f, "framework")?;
            standards[idx] = self.param(&k, p, Range::Any)?;
        }
        let mut weights = [None; TERMS];
        for (t, p) in &d.weights {
            let k = format!("{key}.weights.{t}");
            let names: Vec<String> = TERM_NAMES.iter().map(|s| s.to_string()).collect();
            let idx = self.index_of(&k, &names, t, "utility term")?;
            weights[idx] = Some(self.param(&k, p, Range::Any)?);
        }
        if d.initial.is_empty() {
            return Err(self.err(
                &format!("{key}.initial"),
                "expected at least one initial rule, e.g. { states = [\"all\"], shares = { ... } }",
            ));
        }
        if d.initial.len() > MAX_INITIAL_RULES {
            return Err(self.err(
                &format!("{key}.initial"),
                format!("{} initial rules; at most {MAX_INITIAL_RULES} are supported", d.initial.len()),
            ));
        }
        let mut initial = Vec::new();
        for (i, r) in d.initial.iter().enumerate() {
            let rk = format!("{key}.initial[{i}]");
            initial.push(InitialRule {
                states: self.selector(&format!("{rk}.states"), &r.states, &format!("{rk}.except"), &r.except)?,
                shares: self.shares(&format!("{rk}.shares"), &r.shares, frameworks)?,
            });
        }
        Ok(DomainSpec {
            name: name.to_string(),
            revision_rate,
            switching_cost,
            anchored,
            standards,
            weights,
            initial,
        })
    }

    fn knob(
        &self,
        key: &str,
        path: &str,
        value: Option<f64>,
        scale: f64,
        frameworks: &[String],
        domains: &[String],
        specs: &[FrameworkSpec],
    ) -> Result<Knob> {
        let parts: Vec<&str> = path.split('.').collect();
        let term = |name: &str| TERM_NAMES.iter().position(|t| *t == name);
        let dom = |name: &str| domains.iter().position(|d| d == name);
        let fw = |name: &str| frameworks.iter().position(|f| f == name);
        let (knob, range) = match parts.as_slice() {
            ["choice", "lambda"] => (Some(Knob::Lambda), Range::NonNegative),
            ["utility", t] => (term(t).map(|t| Knob::Weight(term_of(t))), Range::Any),
            ["investment", "depreciation"] => (Some(Knob::Depreciation), Range::Probability),
            ["investment", "scale"] => (Some(Knob::InvestmentScale), Range::Positive),
            ["domain", d, "revision_rate"] => (dom(d).map(Knob::RevisionRate), Range::Probability),
            ["domain", d, "switching_cost"] => (dom(d).map(Knob::SwitchingCost), Range::NonNegative),
            ["domain", d, "standards", f] => (dom(d).zip(fw(f)).map(|(d, f)| Knob::Standards(d, f)), Range::Any),
            ["domain", d, "weights", t] => (dom(d).zip(term(t)).map(|(d, t)| Knob::DomainWeight(d, term_of(t))), Range::Any),
            ["framework", f, "sponsor", "budget"] => {
                let k = fw(f);
                if let Some(k) = k
                    && specs[k].sponsor.is_none()
                {
                    return Err(self.err(
                        &format!("{key}.path"),
                        format!("framework `{f}` has no [framework.{f}.sponsor] whose budget could change"),
                    ));
                }
                (k.map(Knob::Budget), Range::NonNegative)
            }
            _ => (None, Range::Any),
        };
        let knob = knob.ok_or_else(|| {
            self.err(
                &format!("{key}.path"),
                format!("`{path}` is not a parameter an event can set; expected choice.lambda, utility.TERM, investment.depreciation, investment.scale, domain.D.revision_rate, domain.D.switching_cost, domain.D.standards.F, domain.D.weights.TERM or framework.F.sponsor.budget"),
            )
        })?;
        match value {
            Some(value) => {
                self.number(&format!("{key}.value"), value, range)?;
            }
            None => {
                // A factor keeps the parameter in its range: probabilities shrink, signs hold.
                let (factor_range, what) = match range {
                    Range::Probability => (Range::Probability, "a factor in [0, 1] for a probability"),
                    Range::Positive => (Range::Positive, "a factor > 0 for a positive parameter"),
                    Range::NonNegative | Range::NonNegativeOrInf => (Range::NonNegative, "a factor >= 0 for a non-negative parameter"),
                    Range::Any => (Range::Any, "a finite factor"),
                };
                if !factor_range.contains(scale) {
                    return Err(self.err(&format!("{key}.scale"), format!("expected {what}, found {scale}")));
                }
            }
        }
        Ok(knob)
    }

    fn condition(&self, key: &str, c: &RawCondition, frameworks: &[String], domains: &[String]) -> Result<Condition> {
        let framework = self.index_of(&format!("{key}.framework"), frameworks, &c.framework, "framework")?;
        let domain = self.index_of(&format!("{key}.domain"), domains, &c.domain, "domain")?;
        let measure = match c.measure.as_deref() {
            None | Some("gdp_share") => ShareMeasure::Gdp,
            Some("count_share") => ShareMeasure::Count,
            Some(other) => {
                return Err(self.err(
                    &format!("{key}.measure"),
                    format!("expected \"gdp_share\" or \"count_share\", found \"{other}\""),
                ));
            }
        };
        let (above, threshold) = match (c.above, c.below) {
            (Some(t), None) => (true, self.number(&format!("{key}.above"), t, Range::Probability)?),
            (None, Some(t)) => (false, self.number(&format!("{key}.below"), t, Range::Probability)?),
            _ => return Err(self.err(key, "expected exactly one of `above` or `below` (a share in [0, 1])")),
        };
        Ok(Condition {
            framework,
            domain,
            measure,
            above,
            threshold,
        })
    }

    fn events(
        &self,
        raw: &[RawEvent],
        start: Year,
        end: Year,
        frameworks: &[String],
        domains: &[String],
        specs: &[FrameworkSpec],
    ) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        for (i, e) in raw.iter().enumerate() {
            let key = format!("event[{i}]");
            // The year an event applies at (or, with `when`, the first year it is checked).
            let year_of = |y: Option<i64>, conditional: bool| -> Result<Year> {
                let y = match y {
                    Some(y) => y,
                    None if conditional => start as i64 + 1,
                    None => return Err(self.err(&key, "expected `year` (or a `when` condition)")),
                };
                if y <= start as i64 || y > end as i64 {
                    return Err(self.err(
                        &format!("{key}.year"),
                        format!(
                            "expected a year from {} to {end} (after the start year {start}), found {y}",
                            start + 1
                        ),
                    ));
                }
                Ok(y as Year)
            };
            let fw = |f: &str| self.index_of(&format!("{key}.framework"), frameworks, f, "framework");
            let when = |c: &Option<RawCondition>| -> Result<Option<Condition>> {
                c.as_ref()
                    .map(|c| self.condition(&format!("{key}.when"), c, frameworks, domains))
                    .transpose()
            };
            // `duration` years, or `until` a fixed year (not with `when`, whose start is unknown).
            let duration = |year: Year, conditional: bool, d: Option<i64>, u: Option<i64>| -> Result<Option<u32>> {
                match (d, u) {
                    (None, None) => Ok(None),
                    (Some(_), Some(_)) => Err(self.err(&format!("{key}.until"), "give `duration` or `until`, not both")),
                    (Some(d), None) => Ok(Some(self.count(&format!("{key}.duration"), d, 1, MAX_STEPS as i64)? as u32)),
                    (None, Some(_)) if conditional => Err(self.err(
                        &format!("{key}.until"),
                        "a conditional event (`when`) takes `duration` in years, not `until`",
                    )),
                    (None, Some(u)) if u > year as i64 && u <= end as i64 => Ok(Some((u - year as i64) as u32)),
                    (None, Some(u)) => Err(self.err(
                        &format!("{key}.until"),
                        format!("expected a year after {year} and at most {end}, found {u}"),
                    )),
                }
            };
            let all_domains = |ds: &Option<Vec<String>>| -> Result<Vec<bool>> {
                match ds {
                    Some(ds) => self.domain_mask(&format!("{key}.domains"), ds, domains),
                    None => Ok(vec![true; domains.len()]),
                }
            };
            let event = match e {
                RawEvent::Set {
                    year,
                    path,
                    value,
                    scale,
                    when: w,
                    duration: d,
                    until: u,
                } => {
                    let w = when(w)?;
                    let year = year_of(*year, w.is_some())?;
                    let value = match (value, scale) {
                        (Some(v), None) => SetValue::To(*v),
                        (None, Some(f)) => SetValue::Scale(*f),
                        _ => {
                            return Err(self.err(
                                &key,
                                "expected exactly one of `value` (the new value) or `scale` (a factor on the current value)",
                            ));
                        }
                    };
                    let (check, factor) = match value {
                        SetValue::To(v) => (Some(v), 1.0),
                        SetValue::Scale(f) => (None, f),
                    };
                    let knob = self.knob(&key, path, check, factor, frameworks, domains, specs)?;
                    Event {
                        year,
                        when: w,
                        duration: duration(year, w.is_some(), *d, *u)?,
                        action: Action::Set { knob, value },
                        key,
                    }
                }
                RawEvent::Partnership {
                    year,
                    framework,
                    states,
                    except,
                    domains: ds,
                    affinity,
                    when: w,
                    duration: d,
                    until: u,
                } => {
                    let w = when(w)?;
                    let year = year_of(*year, w.is_some())?;
                    let framework = fw(framework)?;
                    let states = self.selector(&format!("{key}.states"), states, &format!("{key}.except"), except)?;
                    let mask = all_domains(ds)?;
                    let affinity = self.number(&format!("{key}.affinity"), *affinity, Range::Any)?;
                    let duration = duration(year, w.is_some(), *d, *u)?;
                    Event {
                        year,
                        when: w,
                        duration,
                        action: Action::Partnership {
                            framework,
                            states,
                            domains: mask,
                            affinity,
                        },
                        key,
                    }
                }
                RawEvent::ExportControl {
                    year,
                    framework,
                    domains: ds,
                    exempt,
                    penalty,
                    when: w,
                    duration: d,
                    until: u,
                } => {
                    let w = when(w)?;
                    let year = year_of(*year, w.is_some())?;
                    let framework = fw(framework)?;
                    let exempt = self.selector(&format!("{key}.exempt"), exempt, "", &[])?;
                    let mask = self.domain_mask(&format!("{key}.domains"), ds, domains)?;
                    let penalty = self.number(&format!("{key}.penalty"), *penalty, Range::NonNegative)?;
                    let duration = duration(year, w.is_some(), *d, *u)?;
                    Event {
                        year,
                        when: w,
                        duration,
                        action: Action::ExportControl {
                            framework,
                            exempt,
                            domains: mask,
                            penalty,
                        },
                        key,
                    }
                }
                RawEvent::Force {
                    year,
                    framework,
                    domains: ds,
                    states,
                    except,
                    lock_years,
                    when: w,
                } => {
                    let w = when(w)?;
                    let year = year_of(*year, w.is_some())?;
                    let framework = fw(framework)?;
                    let states = self.selector(&format!("{key}.states"), states, &format!("{key}.except"), except)?;
                    let mask = self.domain_mask(&format!("{key}.domains"), ds, domains)?;
                    let lock_years = self.count(&format!("{key}.lock_years"), *lock_years, 0, MAX_STEPS as i64)? as u32;
                    Event {
                        year,
                        when: w,
                        duration: None,
                        action: Action::Force {
                            framework,
                            states,
                            domains: mask,
                            lock_years,
                        },
                        key,
                    }
                }
                RawEvent::Coordinate {
                    year,
                    states,
                    except,
                    domains: ds,
                    when: w,
                    duration: d,
                    until: u,
                } => {
                    let w = when(w)?;
                    let year = year_of(*year, w.is_some())?;
                    let states = self.selector(&format!("{key}.states"), states, &format!("{key}.except"), except)?;
                    let mask = all_domains(ds)?;
                    let duration = duration(year, w.is_some(), *d, *u)?;
                    Event {
                        year,
                        when: w,
                        duration,
                        action: Action::Coordinate { states, domains: mask },
                        key,
                    }
                }
            };
            out.push(event);
        }
        Ok(out)
    }
}

fn term_of(i: usize) -> Term {
    [
        Term::Econ,
        Term::Investment,
        Term::Network,
        Term::Affinity,
        Term::Security,
        Term::Standards,
        Term::Hedging,
    ][i]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extends_merges_tables_replaces_values_and_appends_events() {
        let parent: toml::Table = toml::from_str("name = \"p\"\n[a]\nx = 1\ny = [1, 2]\n[[event]]\nkind = \"one\"\n").unwrap();
        let child: toml::Table = toml::from_str("name = \"c\"\n[a]\ny = [3]\nz = 2\n[[event]]\nkind = \"two\"\n").unwrap();
        let m = merge(parent, child);
        assert_eq!(m["name"].as_str(), Some("c"));
        let a = m["a"].as_table().unwrap();
        assert_eq!(a["x"].as_integer(), Some(1));
        assert_eq!(a["y"].as_array().unwrap().len(), 1, "arrays other than events are replaced");
        assert_eq!(a["z"].as_integer(), Some(2));
        let kinds: Vec<&str> = m["event"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["one", "two"]);
    }

    #[test]
    fn a_bundled_what_if_is_the_baseline_plus_its_events() {
        let base = Scenario::load("baseline", &[]).unwrap();
        let alt = Scenario::load("dsr-surge", &[]).unwrap();
        assert_eq!(alt.name, "dsr-surge");
        assert_eq!(alt.frameworks, base.frameworks);
        assert_eq!(
            alt.uncertain, base.uncertain,
            "inherited uncertain parameters keep their order (paired draws)"
        );
        assert_eq!(alt.events.len(), base.events.len() + 3);
    }

    #[test]
    fn extends_errors_name_the_parent() {
        let e = Scenario::from_str("child.toml", "extends = \"no-such-parent\"\nname = \"c\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`extends`") && e.contains("cannot load `no-such-parent`"), "{e}");
    }
}
