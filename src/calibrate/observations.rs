//! From a scenario and an observed panel to the likelihood's observations: the feature arrays the
//! engine computes at the observed state, year by year, turned into the linear utilities of each
//! observed cell.
//!
//! **Covariate path.** One simulation of the scenario (seed = its `batch.seed`, uncertain
//! parameters at the centre of their distributions) supplies what the terms read besides the
//! alignments: tastes, investment stocks, events and the knobs. The revisions of calendar year t
//! use its state after step t − start (that year's events and investment applied).
//!
//! **The partners.** With [`CellModel::with_filtered_partners`] (what `calibrate`, `hindcast` and
//! `forecast` use) the network, standards and hedging terms read the other cells' filtered
//! marginals from the problem's [`Frontier`], which [`build`] fills year by year with every cell's
//! transition and the evidence of the panel's rows ([`super::frontier`]). Without it they read the
//! *observed* state at t − 1 ([`super::state`], what the recovery tests with true partners build by
//! hand): anchored cells at their anchor; a cell whose outcome rows up to t − 1 place it in one
//! framework at that framework; one placed in a set at the set's member with the largest initial
//! share; every other cell at its most probable initial framework.
//!
//! **Observations.** For each `outcome` indicator of domain d and each state not anchored in d,
//! every fit year t up to the state's first adoption (the first row placing the cell in a set)
//! is one observation: the cell is seen in S_v (the adopted value's set) when t is the adoption
//! year, else outside U (the union of the indicator's sets). The observations of one (indicator,
//! state) are one history, and the likelihood runs a forward filter over the cell's latent
//! framework along it ([`super::likelihood`]): it starts from the scenario's initial shares of the
//! cell restricted to the frameworks outside U (uniform where those are all zero, which the
//! summary counts) and is updated by every year the cell survived. A year whose previous
//! framework the state's earlier outcome rows of the domain place in one framework outside U is an
//! exact transition, and the filter restarts from that framework. The filter is exact for the
//! cell's own chain given what its terms read of the other cells.

use std::collections::BTreeMap;

use super::codebook::{Codebook, Indicator, Use};
use super::covariates::CovariatePath;
use std::sync::Arc;

use super::frontier::{Frontier, Reading, Weight, Year};
use super::likelihood::{Branch, Detection, Filter, Observation, Problem, Rate, Reads};
use super::panel::Panel;
use super::params::{FreeParam, Target, weight_index};
use super::state::{dated_affinity, initial_shares, known_set, observed_state, outcome_history};
use crate::error::Error;
use crate::model::rate;
use crate::model::utility::{Features, TermInputs};
use crate::model::{Knobs, Model, NO_ANCHOR, standards};
use crate::scenario::Term;
use crate::scenario::rate::RateCovariate;

/// What the observations hold, per indicator and in all.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Per outcome indicator: (events in the window, cell-years at risk).
    pub indicators: BTreeMap<String, (usize, usize)>,
    /// Events (acts) in the window, over every outcome indicator.
    pub events: usize,
    /// Observations (cell-years) in the window.
    pub observations: usize,
    /// Observations whose previous framework was known (exact transitions).
    pub known_previous: usize,
    /// Observations whose previous framework is the forward filter's distribution (from the
    /// initial shares at the window's start, updated by every earlier year of the history).
    pub filtered: usize,
    /// Histories (indicator, state) with at least one observation: one filter each.
    pub histories: usize,
    /// Observations whose filter starts from uniform weights (the scenario gives the frameworks
    /// outside U no initial share).
    pub uniform_priors: usize,
    /// Rows of indicators used as covariates, and ignored, in the panel.
    pub covariate_rows: usize,
    /// Rows of indicators whose use is `ignore`, in the panel.
    pub ignored_rows: usize,
    /// Outcome rows whose kind is `market`.
    pub market_rows: usize,
    /// Outcome rows on anchored cells (the model fixes them: no observation).
    pub anchored_rows: usize,
    /// Acts seen outside their indicator's coverage: each says the cell is in the act's set.
    pub presence: usize,
    /// The correlation of the economic-pull and network features over the observations' branches
    /// and frameworks (each centred over the frameworks, since only differences enter the logit),
    /// when both weights are free: how far the data can tell the two pulls apart.
    pub econ_network_correlation: Option<f64>,
    /// Groups whose affinity bonus the covariates date, and those the scenario's affinity terms do
    /// not use (nothing to date).
    pub dated_groups: Vec<String>,
    /// Groups named by covariates that the scenario's affinity terms do not use.
    pub undated_groups: Vec<String>,
    /// State-years whose bonus the dating changed from the scenario's membership lists.
    pub dated_changes: usize,
}

/// What an observation of [`build`] is about: its indicator and year, whether it is an adoption,
/// and the union U of the indicator's sets (an adoption of any kind puts the cell in U).
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    /// Indicator name.
    pub indicator: String,
    /// Year of the observation.
    pub year: i32,
    /// Whether the cell adopted (an act happened) this year.
    pub event: bool,
    /// The union U of the indicator's sets, as a bit mask over frameworks.
    pub union: u8,
    /// Inside the indicator's declared coverage: a year without a row is a year without an act,
    /// so the cell-year is scored. Outside it, the observation is an act's presence (the cell is
    /// in the act's set), which the likelihood reads but no forecast is scored on.
    pub scored: bool,
}

/// The utilities of one cell as linear functions of the free parameters.
pub struct CellModel<'a> {
    /// The scenario bound to its world.
    pub model: &'a Model,
    /// The free parameters, in θ order.
    pub params: &'a [FreeParam],
    /// The standardised value of every revision-rate covariate that is free.
    z: BTreeMap<RateCovariate, Vec<f64>>,
    /// The network and standards terms read the partners' filtered frameworks ([`super::frontier`])
    /// rather than `Features`' alignments: [`CellModel::branch`] leaves them out.
    filtered: bool,
}

impl<'a> CellModel<'a> {
    /// The cells of `model` with `params` free; a free rate covariate the world cannot compute is
    /// an error.
    pub fn new(model: &'a Model, params: &'a [FreeParam]) -> Result<CellModel<'a>, Error> {
        let mut z = BTreeMap::new();
        for p in params {
            if let Target::RateCoef(c) = &p.target {
                let values = rate::raw_values(&model.world, c)
                    .and_then(|x| rate::standardise(&x))
                    .map_err(|m| Error::Usage(format!("--free {}: {m}", p.key)))?;
                z.insert(c.clone(), values);
            }
        }
        Ok(CellModel {
            model,
            params,
            z,
            filtered: false,
        })
    }

    /// The same cells with the partners read from the joint filter: what [`build`] then builds.
    pub fn with_filtered_partners(self) -> CellModel<'a> {
        CellModel { filtered: true, ..self }
    }
}

impl CellModel<'_> {
    /// The revision rate of cell (d, i): the domain's, free or the knobs' value, shifted on the
    /// logit scale by the rate covariates (free ones as slopes, the scenario's others as fixed).
    pub fn rate(&self, knobs: &Knobs, d: usize, i: usize) -> Rate {
        let m = self.model;
        let n = m.layout.states;
        let free = |t: Target| self.params.iter().position(|p| p.target == t);
        let mut offset = 0.0;
        let mut shifted = false;
        for (j, (c, _)) in m.scenario.rate_covariates.iter().enumerate() {
            if free(Target::RateCoef(c.clone())).is_none() {
                offset += knobs.rate_coef[j] * m.rate_z[j * n + i];
                shifted = true;
            }
        }
        let mut slopes: Vec<(usize, f64)> = self
            .params
            .iter()
            .enumerate()
            .filter_map(|(a, p)| match &p.target {
                Target::RateCoef(c) => Some((a, self.z[c][i])),
                _ => None,
            })
            .collect();
        let base = free(Target::RevisionRate(d));
        if slopes.is_empty() && !shifted {
            return base.map_or(Rate::Fixed(knobs.rate[d]), Rate::Free);
        }
        match base {
            Some(a) => slopes.push((a, 1.0)),
            None => {
                let r = knobs.rate[d];
                if !(r > 0.0 && r < 1.0) {
                    return Rate::Fixed(r);
                }
                offset += (r / (1.0 - r)).ln();
            }
        }
        Rate::Linear { offset, slopes }
    }

    /// The observation layer of an outcome whose detection rate is `delta` (its index `layer` in
    /// the codebook's layers), free or fixed.
    pub fn detection(&self, layer: usize, delta: f64, event: bool) -> Detection {
        let rate = match self.params.iter().position(|p| p.target == Target::Detection(layer)) {
            Some(a) => Rate::Free(a),
            None => Rate::Fixed(delta),
        };
        Detection { event, rate }
    }

    /// The branch "state i was on `from`" of domain d, from that year's features and knobs. With
    /// filtered partners the network and hedging terms and the partners' part of the standards
    /// term are left out (the frontier adds them); the standards push and the cell's own GDP share
    /// at `from` stay.
    pub fn branch(&self, f: &Features, knobs: &Knobs, d: usize, i: usize, from: u8, prior: f64) -> Branch {
        let (k, np) = (f.frameworks, self.params.len());
        let s = &self.model.scenario;
        let lambda = knobs.lambda;
        let cost_free = self.params.iter().position(|p| p.target == Target::SwitchingCost(d));
        let constant_free = |kk: usize| self.params.iter().position(|p| p.target == Target::Constant(d, kk));
        let mut fixed = vec![0.0; k];
        let mut slope = vec![0.0; np * k];
        // The standards term's GDP shares count the cell itself, at the framework the features
        // were computed at (`f.current`); on this branch it sits at `from`.
        let m = self.model;
        let own = if m.total_gdp > 0.0 { m.world.gdp[i] / m.total_gdp } else { 0.0 };
        let current = f.current[i] as usize;
        for (kk, out) in fixed.iter_mut().enumerate() {
            let mut u = f.offset[i * k + kk];
            for t in Term::ALL {
                let mut x = f.value(t, i, kk);
                if self.filtered && matches!(t, Term::Network | Term::Standards | Term::Hedging) {
                    x = match t {
                        Term::Standards => knobs.standards[d * k + kk] + own * f64::from(u8::from(kk == from as usize)),
                        _ => 0.0,
                    };
                } else if t == Term::Standards && from as usize != current {
                    x += own * (f64::from(u8::from(kk == from as usize)) - f64::from(u8::from(kk == current)));
                }
                match weight_index(self.params, s, d, t) {
                    Some(a) => slope[a * k + kk] += lambda * x,
                    None => u += knobs.weight(d, t) * x,
                }
            }
            match constant_free(kk) {
                Some(a) => slope[a * k + kk] += lambda,
                None => u += f.constant[kk],
            }
            if kk != from as usize {
                match cost_free {
                    Some(a) => slope[a * k + kk] -= lambda,
                    None => u -= knobs.cost[d],
                }
            }
            *out = lambda * u;
        }
        Branch { prior, from, fixed, slope }
    }
}

impl CellModel<'_> {
    /// One year of an adoption history of cell (d, i) with union U (`union`), seen in `outcome`:
    /// an exact transition from `known` when the previous framework is known (the filter restarts
    /// from it); otherwise one branch per framework outside U, whose priors are the scenario's
    /// initial shares of the cell restricted to outside U (uniform where those are all zero, the
    /// second value returned). The priors are the filter's π when `start` (the history's first
    /// year); in later years the filter replaces them.
    #[allow(clippy::too_many_arguments)]
    pub fn adoption_observation(
        &self,
        f: &Features,
        knobs: &Knobs,
        d: usize,
        i: usize,
        union: u8,
        outcome: u8,
        known: Option<u8>,
        history: usize,
        start: bool,
        detection: Option<Detection>,
    ) -> (Observation, bool) {
        let k = f.frameworks;
        let (priors, uniform): (Vec<(u8, f64)>, bool) = match known {
            Some(j) => (vec![(j, 1.0)], false),
            // With an observation layer a cell at risk may be in U without having acted: the
            // filter starts from the initial shares over every framework, and every framework is a
            // branch.
            None if detection.is_some() => ((0..k).map(|j| (j as u8, initial_shares(self.model, d, i)[j])).collect(), false),
            None => {
                let shares = initial_shares(self.model, d, i);
                let outside: Vec<usize> = (0..k).filter(|&j| union >> j & 1 == 0).collect();
                let mass: f64 = outside.iter().map(|&j| shares[j]).sum();
                if mass > 0.0 {
                    (outside.iter().map(|&j| (j as u8, shares[j] / mass)).collect(), false)
                } else {
                    (outside.iter().map(|&j| (j as u8, 1.0 / outside.len() as f64)).collect(), true)
                }
            }
        };
        let o = Observation {
            cluster: i,
            rate: self.rate(knobs, d, i),
            outcome,
            branches: priors.iter().map(|&(j, w)| self.branch(f, knobs, d, i, j, w)).collect(),
            filter: Some(Filter {
                history,
                restart: start || known.is_some(),
            }),
            detection,
            reads: None,
        };
        (o, uniform)
    }

    /// An act seen outside its indicator's coverage: the cell is in `outcome` at t, one step from
    /// the scenario's initial shares (nothing else is known of it), standing alone.
    pub fn presence_observation(&self, f: &Features, knobs: &Knobs, d: usize, i: usize, outcome: u8) -> Observation {
        let shares = initial_shares(self.model, d, i);
        Observation {
            cluster: i,
            rate: self.rate(knobs, d, i),
            outcome,
            branches: (0..f.frameworks)
                .filter(|&j| shares[j] > 0.0)
                .map(|j| self.branch(f, knobs, d, i, j as u8, shares[j]))
                .collect(),
            filter: None,
            detection: None,
            reads: None,
        }
    }
}

/// The features of domain d at alignments `read`, with the standards term's GDP shares of `read`.
pub fn features_at(inputs: &TermInputs, read: &[u8], d: usize) -> Features {
    let m = inputs.model;
    let (n, k) = (m.layout.states, m.layout.frameworks);
    let mut gdp_share = inputs.gdp_share.to_vec();
    for dd in 0..m.layout.domains {
        standards::gdp_shares(
            &read[dd * n..(dd + 1) * n],
            &m.world.gdp,
            m.total_gdp,
            &mut gdp_share[dd * k..(dd + 1) * k],
        );
    }
    let with_shares = TermInputs {
        gdp_share: &gdp_share,
        ..*inputs
    };
    with_shares.features(read, d)
}

/// The observations of the fit years `first..=last`, reading the covariate path `path` at each, as
/// a problem: with [`CellModel::with_filtered_partners`], its observations read the partners from
/// the problem's frontier, built here over every domain an outcome observes.
pub fn build(
    cells: &CellModel,
    panel: &Panel,
    codebook: &Codebook,
    first: i32,
    last: i32,
    path: &mut CovariatePath,
) -> Result<(Problem, Vec<Meta>, Summary), Error> {
    let m = cells.model;
    let window = Window::new(cells, panel, codebook, first)?;
    let (n, k) = (m.layout.states, m.layout.frameworks);
    let mut built = Built {
        obs: Vec::new(),
        meta: Vec::new(),
        histories: BTreeMap::new(),
        summary: row_summary(m, panel, codebook),
    };
    group_dating(m, codebook, &mut built.summary);
    // Every domain is in the frontier (cell d × N + i): the hedging term reads a state's other domains.
    let mut frontier = cells.filtered.then(|| frontier_start(m, &window.history, first));
    for t in first..=last {
        path.advance_to(t);
        let base = path.sim.term_inputs();
        let (affinity, changed) = dated_affinity(m, codebook, panel, &path.draws, base.affinity, t);
        built.summary.dated_changes += changed;
        let inputs = TermInputs {
            affinity: &affinity,
            ..base
        };
        let knobs = path.sim.knobs().clone();
        let read = observed_state(m, &window.history, t - 1);
        let mut feats: BTreeMap<usize, Features> = BTreeMap::new();
        // The frontier's evidence of this year, `[d*N + i]`: what the outcome rows leave possible.
        let mut evidence: Vec<u8> = (0..m.layout.domains * n)
            .map(|c| rows_of_year(&window.history, c / n, c % n, t, window.all))
            .collect();
        for ind in codebook.indicators.values().filter(|c| c.use_ == Use::Outcome) {
            let d = ind.domain.expect("outcomes have a domain");
            let f = feats.entry(d).or_insert_with(|| features_at(&inputs, &read, d));
            built.indicator_year(&window, ind, d, f, &knobs, t, &mut evidence);
        }
        if let Some(fr) = frontier.as_mut() {
            for d in 0..m.layout.domains {
                feats.entry(d).or_insert_with(|| features_at(&inputs, &read, d));
            }
            fr.years.push(frontier_year(cells, &feats, &knobs, &evidence));
        }
    }
    let Built {
        obs,
        meta,
        histories,
        mut summary,
    } = built;
    summary.observations = obs.len();
    summary.histories = histories.len();
    let problem = Problem {
        frameworks: k,
        params: cells.params.len(),
        clusters: n,
        obs,
        frontier: frontier.map(Arc::new),
    };
    Ok((problem, meta, summary))
}

/// What every year of [`build`] reads: the cells, the codebook's observation layers, each outcome's
/// covered states, the first adoption per (indicator, state) and the outcome rows per cell.
struct Window<'a, 'c> {
    cells: &'a CellModel<'c>,
    layers: Vec<(String, f64)>,
    covered: BTreeMap<&'a str, Vec<bool>>,
    /// First adoption per (indicator, state): (year, set).
    adoption: BTreeMap<(&'a str, usize), (i32, u8)>,
    history: super::state::History,
    first: i32,
    /// The set of every framework.
    all: u8,
}

impl<'a, 'c> Window<'a, 'c> {
    /// The window of a fit from `first` on; an outcome whose coverage names a state the world does
    /// not know is an error.
    fn new(cells: &'a CellModel<'c>, panel: &'a Panel, codebook: &'a Codebook, first: i32) -> Result<Window<'a, 'c>, Error> {
        let m = cells.model;
        let layers = codebook.layers();
        let mut covered: BTreeMap<&str, Vec<bool>> = BTreeMap::new();
        for ind in codebook.indicators.values().filter(|c| c.use_ == Use::Outcome) {
            covered.insert(ind.name.as_str(), ind.covered_states(&m.world)?);
        }
        let (n, k) = (m.layout.states, m.layout.frameworks);
        let history = outcome_history(panel, codebook, n);
        let mut adoption: BTreeMap<(&str, usize), (i32, u8)> = BTreeMap::new();
        for r in panel.rows_used_as(codebook, Use::Outcome) {
            if r.set != 0 {
                let e = adoption.entry((r.indicator.as_str(), r.state)).or_insert((r.year, r.set));
                if r.year < e.0 {
                    *e = (r.year, r.set);
                }
            }
        }
        Ok(Window {
            cells,
            layers,
            covered,
            adoption,
            history,
            first,
            all: ((1u16 << k) - 1) as u8,
        })
    }

    /// Where an observation of cell (d, i) in year t reads its partners in the frontier, when the
    /// cells read them filtered.
    fn reads(&self, t: i32, d: usize, i: usize) -> Option<Reads> {
        self.cells.filtered.then(|| Reads {
            year: (t - self.first) as usize,
            cell: d * self.cells.model.layout.states + i,
        })
    }
}

/// The panel's rows counted by use: covariate and ignored rows, and the outcome rows of kind
/// `market` and on anchored cells.
fn row_summary(m: &Model, panel: &Panel, codebook: &Codebook) -> Summary {
    let n = m.layout.states;
    let mut summary = Summary::default();
    for r in &panel.rows {
        let ind = &codebook.indicators[&r.indicator];
        match ind.use_ {
            Use::Covariate => summary.covariate_rows += 1,
            Use::Ignore => summary.ignored_rows += 1,
            Use::Outcome => {
                let d = ind.domain.expect("outcomes have a domain");
                if r.kind == super::codebook::Kind::Market {
                    summary.market_rows += 1;
                }
                if m.anchor[d * n + r.state] != NO_ANCHOR {
                    summary.anchored_rows += 1;
                }
            }
        }
    }
    summary
}

/// The groups of the covariate indicators, each listed as dated when the scenario's affinity terms
/// use it, else as undated.
fn group_dating(m: &Model, codebook: &Codebook, summary: &mut Summary) {
    for ind in codebook.indicators.values().filter(|c| c.use_ == Use::Covariate) {
        if let Some(g) = &ind.group {
            let used = m.scenario.framework_specs.iter().any(|f| f.affinity.iter().any(|(x, _, _)| x == g));
            if used {
                &mut summary.dated_groups
            } else {
                &mut summary.undated_groups
            }
            .push(g.clone());
        }
    }
}

/// The observations built so far with their metadata, the identifier of each history (one forward
/// filter per (indicator, state)), and the summary.
struct Built<'a> {
    obs: Vec<Observation>,
    meta: Vec<Meta>,
    histories: BTreeMap<(&'a str, usize), usize>,
    summary: Summary,
}

impl<'a> Built<'a> {
    /// The observations of outcome `ind` (of domain d, with features `f`) in year t: one per state
    /// not anchored in d that has not adopted before t, scored inside the indicator's coverage and
    /// an act's presence outside it.
    #[allow(clippy::too_many_arguments)]
    fn indicator_year(
        &mut self,
        w: &Window<'a, '_>,
        ind: &'a Indicator,
        d: usize,
        f: &Features,
        knobs: &Knobs,
        t: i32,
        evidence: &mut [u8],
    ) {
        let m = w.cells.model;
        let n = m.layout.states;
        let union = ind.union();
        let (mut events, mut at_risk) = (0, 0);
        for i in 0..n {
            if m.anchor[d * n + i] != NO_ANCHOR {
                continue;
            }
            let adopted = w.adoption.get(&(ind.name.as_str(), i)).copied();
            if adopted.is_some_and(|(year, _)| year < t) {
                continue;
            }
            let outcome = match adopted {
                Some((year, set)) if year == t => set,
                _ => w.all & !union,
            };
            let event = outcome & union != 0;
            if !ind.covers(&w.covered[ind.name.as_str()], i, t) {
                // Outside coverage a missing row says nothing; an act says the cell is in its set.
                if event {
                    self.obs.push(Observation {
                        reads: w.reads(t, d, i),
                        ..w.cells.presence_observation(f, knobs, d, i, outcome)
                    });
                    self.meta.push(Meta {
                        indicator: ind.name.clone(),
                        year: t,
                        event,
                        union,
                        scored: false,
                    });
                    self.summary.presence += 1;
                }
                continue;
            }
            self.scored(w, ind, f, knobs, (d, i), t, (outcome, union), evidence);
            events += usize::from(event);
            at_risk += 1;
        }
        let entry = self.summary.indicators.entry(ind.name.clone()).or_default();
        entry.0 += events;
        entry.1 += at_risk;
    }

    /// The scored observation of cell (d, i) in year t, seen in `outcome` (of an indicator with union
    /// U = `union`): a year of the
    /// (indicator, state)'s history, with its known previous framework, its observation layer and,
    /// for a covered year without an act of an indicator without a layer, its evidence in the
    /// frontier (outside U).
    #[allow(clippy::too_many_arguments)]
    fn scored(
        &mut self,
        w: &Window<'a, '_>,
        ind: &'a Indicator,
        f: &Features,
        knobs: &Knobs,
        (d, i): (usize, usize),
        t: i32,
        (outcome, union): (u8, u8),
        evidence: &mut [u8],
    ) {
        let event = outcome & union != 0;
        let known = known_set(&w.history, d, i, t - 1, w.all);
        let known = (known.count_ones() == 1 && known & union == 0).then(|| known.trailing_zeros() as u8);
        let next_id = self.histories.len();
        let id = *self.histories.entry((ind.name.as_str(), i)).or_insert(next_id);
        let layer = w.layers.iter().position(|(name, _)| *name == ind.name);
        let detection = layer.map(|j| w.cells.detection(j, w.layers[j].1, event));
        let start = id == next_id;
        let (mut o, uniform) = w
            .cells
            .adoption_observation(f, knobs, d, i, union, outcome, known, id, start, detection);
        o.reads = w.reads(t, d, i);
        if let Some(r) = o.reads.filter(|_| o.detection.is_none() && !event) {
            // A covered year without an act of an indicator without a layer: outside U.
            let e = &mut evidence[r.cell];
            *e = if *e & outcome != 0 { *e & outcome } else { *e };
        }
        match known {
            Some(_) => self.summary.known_previous += 1,
            None => self.summary.filtered += 1,
        }
        self.summary.uniform_priors += usize::from(uniform);
        if event {
            self.summary.events += 1;
        }
        self.meta.push(Meta {
            indicator: ind.name.clone(),
            year: t,
            event,
            union,
            scored: true,
        });
        self.obs.push(o);
    }
}

/// What the outcome rows of cell (d, i) in year `t` leave possible: the intersection of their
/// sets (the latest when they disagree), or every framework.
fn rows_of_year(history: &super::state::History, d: usize, i: usize, t: i32, all: u8) -> u8 {
    let mut set = all;
    for &(_, s) in history
        .get(&(d, i))
        .map_or(&[][..], |v| v.as_slice())
        .iter()
        .filter(|(y, _)| *y == t)
    {
        set = if set & s != 0 { set & s } else { s };
    }
    set
}

/// One year of the frontier: each domain's reading of the partners, and every cell's transition
/// from each framework (`feats` of every domain) with the year's `evidence` as its outcome.
fn frontier_year(cells: &CellModel, feats: &BTreeMap<usize, Features>, knobs: &Knobs, evidence: &[u8]) -> Year {
    let m = cells.model;
    let (n, k) = (m.layout.states, m.layout.frameworks);
    let mut year = Year {
        reading: Vec::with_capacity(m.layout.domains),
        cells: Vec::with_capacity(m.layout.domains * n),
    };
    for (&d, f) in feats {
        let weight = |t: Term| match weight_index(cells.params, &m.scenario, d, t) {
            Some(a) => Weight::Free(a),
            None => Weight::Fixed(knobs.weight(d, t)),
        };
        year.reading.push(Reading {
            lambda: knobs.lambda,
            network: weight(Term::Network),
            standards: weight(Term::Standards),
            hedging: weight(Term::Hedging),
        });
        for i in 0..n {
            year.cells.push((m.anchor[d * n + i] == NO_ANCHOR).then(|| Observation {
                cluster: i,
                rate: cells.rate(knobs, d, i),
                outcome: evidence[d * n + i],
                branches: (0..k).map(|j| cells.branch(f, knobs, d, i, j as u8, 0.0)).collect(),
                filter: None,
                detection: None,
                reads: None,
            }));
        }
    }
    year
}

/// The frontier before its first year: every cell of every domain at its anchor
/// or at the scenario's initial shares restricted to what the rows before `first` say (uniform
/// over that set when the shares give it nothing).
fn frontier_start(m: &Model, history: &super::state::History, first: i32) -> Frontier {
    let (n, k) = (m.layout.states, m.layout.frameworks);
    let all = ((1u16 << k) - 1) as u8;
    let (mut initial, mut shares) = (Vec::new(), Vec::new());
    for d in 0..m.layout.domains {
        for i in 0..n {
            let anchor = m.anchor[d * n + i];
            let point = |j: usize| (0..k).map(|x| f64::from(u8::from(x == j))).collect::<Vec<f64>>();
            if anchor != NO_ANCHOR {
                initial.push(point(anchor as usize));
                shares.push(point(anchor as usize));
                continue;
            }
            let s = initial_shares(m, d, i).to_vec();
            let set = known_set(history, d, i, first - 1, all);
            let mass: f64 = (0..k).filter(|&j| set >> j & 1 == 1).map(|j| s[j]).sum();
            let inside = |j: usize| set >> j & 1 == 1;
            initial.push(
                (0..k)
                    .map(|j| match (inside(j), mass > 0.0) {
                        (false, _) => 0.0,
                        (true, true) => s[j] / mass,
                        (true, false) => 1.0 / set.count_ones() as f64,
                    })
                    .collect(),
            );
            shares.push(s);
        }
    }
    let gdp = m
        .world
        .gdp
        .iter()
        .map(|g| if m.total_gdp > 0.0 { g / m.total_gdp } else { 0.0 })
        .collect();
    let partners = (0..n)
        .map(|i| {
            let (targets, weights) = m.world.ties.row(i);
            targets.iter().zip(weights).map(|(&j, &w)| (j as usize, f64::from(w))).collect()
        })
        .collect();
    Frontier {
        states: n,
        slots: m.layout.domains,
        frameworks: k,
        initial,
        shares,
        partners,
        gdp,
        hedgers: (0..n).map(|i| m.layout.domains > 1 && m.hedgers[i]).collect(),
        years: Vec::new(),
    }
}

/// The exact transitions of every cell not anchored in `domains` from the alignments `prev` to
/// `next` (both `[d*N + i]`), with `inputs` and `knobs` those of the year's revisions: the
/// likelihood of a fully observed history (the engine's own runs, in the tests of recovery).
pub fn exact_transitions(
    cells: &CellModel,
    inputs: &TermInputs,
    knobs: &Knobs,
    prev: &[u8],
    next: &[u8],
    domains: &[usize],
) -> Vec<Observation> {
    let m = cells.model;
    let n = m.layout.states;
    let mut obs = Vec::new();
    for &d in domains {
        let f = features_at(inputs, prev, d);
        for i in 0..n {
            let cell = d * n + i;
            if m.anchor[cell] != NO_ANCHOR {
                continue;
            }
            obs.push(Observation {
                cluster: i,
                rate: cells.rate(knobs, d, i),
                outcome: 1 << next[cell],
                branches: vec![cells.branch(&f, knobs, d, i, prev[cell], 1.0)],
                filter: None,
                detection: None,
                reads: None,
            });
        }
    }
    obs
}
