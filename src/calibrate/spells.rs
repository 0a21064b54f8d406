//! The event histories a simulated hindcast scores: per `outcome` indicator and state not anchored
//! in the indicator's domain, the histories still at risk at the end of the last fitted year (no
//! adoption row up to then), with the year of their first adoption in the scored years, if any.
//!
//! A history whose cell the panel places inside the indicator's union U by then (through another
//! indicator's rows: a GDPR-style law puts the data cell on EU, so its Convention 108 history
//! cannot start outside U) has no start state at risk in the model. It is set aside and counted,
//! never scored.

use std::collections::BTreeMap;

use super::codebook::{Codebook, Use};
use super::panel::Panel;
use super::state::{known_set, outcome_history};
use crate::model::{Model, NO_ANCHOR};

/// One history at risk.
#[derive(Debug, Clone, PartialEq)]
pub struct Spell {
    /// Indicator name.
    pub indicator: String,
    /// Domain index of the indicator.
    pub domain: usize,
    /// State index.
    pub state: usize,
    /// The union U of the indicator's sets.
    pub union: u8,
    /// The year of the first adoption, when it falls in the scored years.
    pub adopted: Option<i32>,
}

/// The histories at risk at the end of `split`, scored over `split+1..=end`.
#[derive(Debug, Clone, Default)]
pub struct Spells {
    /// The histories, in order.
    pub spells: Vec<Spell>,
    /// Per indicator: histories at risk whose cell the panel places inside U (not scored).
    pub inside_union: BTreeMap<String, usize>,
}

impl Spells {
    /// The histories of every outcome indicator, in codebook order then state order.
    pub fn at_risk(m: &Model, panel: &Panel, codebook: &Codebook, split: i32, end: i32) -> crate::error::Result<Spells> {
        Self::at_risk_where(m, panel, codebook, split, end, (split + 1, end))
    }

    /// [`Spells::at_risk`] for a forecast beyond the panel: the cells inside coverage in `split`
    /// itself (the coverage's years end with the panel).
    pub fn at_risk_beyond(m: &Model, panel: &Panel, codebook: &Codebook, split: i32, end: i32) -> crate::error::Result<Spells> {
        Self::at_risk_where(m, panel, codebook, split, end, (split, split))
    }

    /// The histories at risk at the end of `split`, of cells inside coverage in every year of
    /// `covered_years`.
    fn at_risk_where(
        m: &Model,
        panel: &Panel,
        codebook: &Codebook,
        split: i32,
        end: i32,
        covered_years: (i32, i32),
    ) -> crate::error::Result<Spells> {
        let n = m.layout.states;
        let all = ((1u16 << m.layout.frameworks) - 1) as u8;
        let history = outcome_history(panel, codebook, n);
        let mut first: BTreeMap<(&str, usize), i32> = BTreeMap::new();
        for r in panel.rows_used_as(codebook, Use::Outcome).filter(|r| r.set != 0) {
            let y = first.entry((r.indicator.as_str(), r.state)).or_insert(r.year);
            *y = (*y).min(r.year);
        }
        let mut out = Spells::default();
        for ind in codebook.indicators.values().filter(|c| c.use_ == Use::Outcome) {
            let d = ind.domain.expect("outcomes have a domain");
            let union = ind.union();
            // Only cells inside the indicator's coverage over the whole window are scored.
            let covered = ind.covered_states(&m.world)?;
            let inside = |i: usize| (covered_years.0..=covered_years.1).all(|t| ind.covers(&covered, i, t));
            for i in (0..n).filter(|&i| m.anchor[d * n + i] == NO_ANCHOR && inside(i)) {
                let year = first.get(&(ind.name.as_str(), i)).copied();
                if year.is_some_and(|y| y <= split) {
                    continue;
                }
                if known_set(&history, d, i, split, all) & !union == 0 {
                    *out.inside_union.entry(ind.name.clone()).or_default() += 1;
                    continue;
                }
                out.spells.push(Spell {
                    indicator: ind.name.clone(),
                    domain: d,
                    state: i,
                    union,
                    adopted: year.filter(|&y| y <= end),
                });
            }
        }
        Ok(out)
    }

    /// The indicators with histories, in order, each with the indices of its histories.
    pub fn by_indicator(&self) -> Vec<(&str, Vec<usize>)> {
        let mut out: Vec<(&str, Vec<usize>)> = Vec::new();
        for (h, s) in self.spells.iter().enumerate() {
            match out.last_mut() {
                Some((name, list)) if *name == s.indicator => list.push(h),
                _ => out.push((s.indicator.as_str(), vec![h])),
            }
        }
        out
    }
}
