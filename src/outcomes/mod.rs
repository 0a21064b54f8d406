//! The outcome registry: every scalar a run yields at the horizon, under its one canonical name.
//!
//! An outcome is a [`Family`] (what is measured) at an index (a domain, a framework, both, or
//! none). Its canonical name is the family's name followed by the index names, dot-separated:
//! `final_share.cloud.US`, `fragmentation_by_domain.cloud`, `hedging`. That name is the
//! `runs.csv` column, the path of its statistics in `summary.json`, the `outcome` of a
//! comparison row, the `--outcome` selector of sweeps, sensitivity and discovery, and the key
//! of the EMA model and of the explorer's tables: every consumer iterates [`FAMILIES`], so a new
//! outcome is one entry here plus its computation in the run.
//!
//! The spellings of output format 1 (before the names were unified) are listed per family in
//! [`Family::formerly`]: `--outcome` accepts them ([`Outcome::parse`]); readers of saved files
//! refuse them with a hint naming the new spelling ([`former_spelling`]).

mod families;
mod names;

pub use families::FAMILIES;
pub use names::former_spelling;

use serde_json::Value;

use crate::aggregate::Aggregator;
use crate::metrics::{Labels, Layout, RunOutcome};

/// Version of the output files' names and layout: 2 since the outcome names were unified
/// (written to `manifest.json` as `output_format` and to `summary.json` as `format`).
pub const OUTPUT_FORMAT: u32 = 2;

/// What an outcome family is indexed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    /// One value for the whole world.
    World,
    /// One value per domain.
    Domain,
    /// One value per framework.
    Framework,
    /// One value per domain and framework (domain-major).
    DomainFramework,
}

/// Where a family's outcomes appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uses {
    /// A column of `runs.csv`.
    pub runs_csv: bool,
    /// Paired in `compare` and the explorer.
    pub compared: bool,
    /// Studied by sweeps, sensitivity and discovery when no `--outcome` is given.
    pub default: bool,
    /// Selectable with `--outcome` (a number in every run, never missing).
    pub selectable: bool,
}

/// One kind of outcome: its name, index, meaning, uses and computations.
#[derive(Clone, Copy)]
pub struct Family {
    /// Canonical name, the first part of every outcome's name.
    pub name: &'static str,
    /// What it is indexed by.
    pub over: Over,
    /// One line on what it measures, for the documentation and error messages.
    pub about: &'static str,
    /// Where it appears.
    pub uses: Uses,
    /// Its value in one run at (domain, framework) (indices not used by [`Family::over`] are 0);
    /// `None` when the run has none (a framework that never tipped).
    pub value: fn(&RunOutcome, &Layout, usize, usize) -> Option<f64>,
    /// Its aggregate across the batch at (domain, framework), as written to `summary.json`.
    pub summary: fn(&Aggregator, usize, usize) -> Value,
    /// Spellings of output format 1, as patterns (`<domain>`, `<fw>` stand for names).
    pub formerly: &'static [&'static str],
}

impl Family {
    /// The family's name pattern: `final_share.<domain>.<fw>`.
    pub fn pattern(&self) -> String {
        let tail = match self.over {
            Over::World => "",
            Over::Domain => ".<domain>",
            Over::Framework => ".<fw>",
            Over::DomainFramework => ".<domain>.<fw>",
        };
        format!("{}{tail}", self.name)
    }
}

/// One outcome: a family at an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Position of the family in [`FAMILIES`].
    family: usize,
    /// Domain index (0 when the family is not indexed by domain).
    pub domain: usize,
    /// Framework index (0 when the family is not indexed by framework).
    pub framework: usize,
}

impl Outcome {
    /// The outcome's family.
    pub fn family(&self) -> &'static Family {
        &FAMILIES[self.family]
    }

    /// Its canonical name, with the domain and framework names of `domains` and `frameworks`.
    pub fn name(&self, domains: &[String], frameworks: &[String]) -> String {
        let f = self.family();
        let d = || domains.get(self.domain).map_or("?", String::as_str);
        let k = || frameworks.get(self.framework).map_or("?", String::as_str);
        match f.over {
            Over::World => f.name.to_string(),
            Over::Domain => format!("{}.{}", f.name, d()),
            Over::Framework => format!("{}.{}", f.name, k()),
            Over::DomainFramework => format!("{}.{}.{}", f.name, d(), k()),
        }
    }

    /// The domain's index, if the family is indexed by domain.
    pub fn domain_index(&self) -> Option<usize> {
        matches!(self.family().over, Over::Domain | Over::DomainFramework).then_some(self.domain)
    }

    /// The framework's index, if the family is indexed by framework.
    pub fn framework_index(&self) -> Option<usize> {
        matches!(self.family().over, Over::Framework | Over::DomainFramework).then_some(self.framework)
    }

    /// Its value in run `o` (`None` when the run has none).
    pub fn value(&self, o: &RunOutcome, l: &Layout) -> Option<f64> {
        (self.family().value)(o, l, self.domain, self.framework)
    }

    /// Its aggregate across the batch, as written to `summary.json`.
    pub fn summary(&self, a: &Aggregator) -> Value {
        (self.family().summary)(a, self.domain, self.framework)
    }
}

/// Every outcome of the families that `keep` selects, in registry order, each family expanded
/// over the layout's domains and frameworks (domain-major).
pub fn expand(l: &Layout, keep: impl Fn(&Family) -> bool) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (family, f) in FAMILIES.iter().enumerate().filter(|(_, f)| keep(f)) {
        let (ds, ks) = match f.over {
            Over::World => (1, 1),
            Over::Domain => (l.domains, 1),
            Over::Framework => (1, l.frameworks),
            Over::DomainFramework => (l.domains, l.frameworks),
        };
        for domain in 0..ds {
            for framework in 0..ks {
                out.push(Outcome { family, domain, framework });
            }
        }
    }
    out
}

/// The layout that `labels` name, with `years` recorded years.
pub fn layout_of(labels: &Labels, years: usize) -> Layout {
    Layout {
        states: labels.state_ids.len(),
        domains: labels.domains.len(),
        frameworks: labels.frameworks.len(),
        years,
    }
}

#[cfg(test)]
mod tests;
