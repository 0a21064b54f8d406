//! The model: everything about a scenario that is fixed for a batch, resolved against its world.
//!
//! [`Model::build`] turns state selectors into member lists, checks names that only the world can
//! check (groups, state ids), and precomputes the static parts of the utility; [`Knobs`] holds the
//! parameter values of one run, which `set` events may change. The utility of framework k for state
//! i in domain d (see `docs/model.md`) is
//!
//! ```text
//! U_idk = b_econ E_ik + b_inv I_idk + b_net N_idk + b_norm (A_ik + P_idk) + b_sec S_ik − X_idk
//!       + b_std (G_dk + s_dk) − c_d [k ≠ current] − b_hedge H_idk
//! ```
//!
//! One file per term family: [`economy`], [`investment`], [`network`], [`affinity`], [`security`],
//! [`standards`], [`hedging`]; the choice rule in [`choice`]; sponsors in [`sponsors`]; the yearly
//! dynamics in [`crate::run`]. [`Model::build`] calls one part per concern: `bind` (selectors to
//! masks, homes, anchors, initial rules), `tastes` (freedom closeness and group bonuses), `events`
//! (the resolved events), `tables` (the precomputed tables of the ties and GDP), and
//! `sponsors::targets` and `rate::standardised_covariates`.

pub mod affinity;
pub mod choice;
pub mod economy;
pub mod hedging;
pub mod investment;
pub mod network;
pub mod rate;
pub mod security;
pub mod sponsors;
pub mod standards;
pub mod utility;

mod bind;
mod events;
mod tables;
mod tastes;

pub use events::{ModelAction, ModelEvent};
pub use tables::MAX_TABLE_DEGREE;
pub use tastes::GroupTerm;

use crate::error::Result;
use crate::metrics::{Labels, Layout};
use crate::scenario::{Knob, Param, Scenario, TERMS, Term};
use crate::world::{StateId, World};
use rayon::prelude::*;
use tables::Tables;

/// Marks a cell that is not anchored to any framework.
pub const NO_ANCHOR: u8 = u8::MAX;

/// States per block of a run's tastes filled on several threads.
const TASTE_BLOCK_STATES: usize = 4096;

/// A scenario bound to its world: the static, shared input of every run of a batch.
#[derive(Debug, Clone)]
pub struct Model {
    /// The validated scenario.
    pub scenario: Scenario,
    /// Its world: states as struct-of-arrays, ties in compressed rows.
    pub world: World,
    /// Sizes of every per-run array.
    pub layout: Layout,
    /// `home[k][i]`: is state i a home state of framework k?
    pub home: Vec<Vec<bool>>,
    /// `anchor[d*N + i]`: the framework state i is locked to in domain d, or [`NO_ANCHOR`].
    pub anchor: Vec<u8>,
    /// E_ik, `[i*K + k]`; empty when every value is 0 (no framework has home states).
    pub econ: Vec<f64>,
    /// Freedom closeness −|f_i − ideal_k|/10, `[i*K + k]` (0 where a framework has no ideal point;
    /// empty when every value is 0).
    pub freedom: Vec<f64>,
    /// Affinity groups' membership bonuses.
    pub affinity_groups: Vec<GroupTerm>,
    /// Security groups' membership bonuses.
    pub security_groups: Vec<GroupTerm>,
    /// Which states have a hedging motive.
    pub hedgers: Vec<bool>,
    /// `initial_rule[d*N + i]`: index of the initial rule of domain d that covers state i.
    pub initial_rule: Vec<u16>,
    /// Per framework: eligible recipients of its sponsor's budget (targets minus its home states).
    pub sponsor_targets: Vec<Vec<StateId>>,
    /// The scenario's events resolved against the world, in scenario order.
    pub events: Vec<ModelEvent>,
    /// Whether any event is a partnership.
    pub has_partnerships: bool,
    /// Whether any event is an export control.
    pub has_export_controls: bool,
    /// Whether any framework has a sponsor.
    pub has_sponsors: bool,
    /// Whether any cell is anchored (revisions then check each cell's anchor).
    pub has_anchors: bool,
    /// World GDP, the denominator of GDP shares.
    pub total_gdp: f64,
    /// World population, the denominator of population shares.
    pub total_population: f64,
    /// Per tie (same order as the CSR targets): the tie's share of all trade volume, |w_ij| · s_i / T,
    /// where s_i turns state i's normalised weights back into its trade volume and T is the total
    /// volume; the fragmentation index is the sum over ties of this weight times [the ends differ].
    /// Empty when all are equal ([`Model::frag_sums`] then holds what the index needs).
    pub frag_weight: Vec<f64>,
    /// When every state has the same GDP (synthetic worlds without a GDP spread): entry c is that
    /// GDP added c times, bit for bit the GDP of c states summed in state order, so the GDP share
    /// of a framework is a look-up of its count of states.
    pub gdp_sums: Option<Vec<f64>>,
    /// When every tie has the same weight w and no state has more than [`MAX_TABLE_DEGREE`] partners
    /// (synthetic worlds): entry c is w added c times in f64, one at a time — bit for bit what summing
    /// the weights of c partners gives, so network shares become a table look-up of integer counts.
    pub tie_sums: Option<Vec<f64>>,
    /// The same table for the fragmentation weights of [`Model::frag_weight`], when they are all equal.
    pub frag_sums: Option<Vec<f64>>,
    /// Bits of one framework's field in a packed count of a state's partners per framework: the
    /// fewest that hold the largest degree (at most 8 when `tie_sums` is `Some`). Narrow fields keep
    /// the per-state counts small enough to stay in cache.
    pub count_bits: u32,
    /// The ties reversed, in compressed rows: the states that count state j as a partner are
    /// `in_sources[in_offsets[j]..in_offsets[j+1]]`. Built when `frag_sums` is `None` (the yearly
    /// fragmentation index then recomputes just the states whose own or partners' alignment
    /// changed) or `tie_sums` is `Some` (each state's partner counts are then kept up to date by
    /// adding every move to the states that count the mover as a partner).
    pub in_offsets: Vec<usize>,
    /// See `in_offsets`.
    pub in_sources: Vec<StateId>,
    /// The revision rate's covariates standardised over the states, `[c*N + i]` in the order of
    /// `scenario.rate_covariates` (empty without `[rate]`).
    pub rate_z: Vec<f64>,
}

impl Model {
    /// Bytes of a model with these sizes, besides its world: per state, home (K flags), anchor and
    /// initial rule per domain, hedger flag, the reversed ties' row offset, the equal-GDP table, the
    /// economic pull and freedom closeness (K f64 each, when `homes` and `freedom_ideals`) and the
    /// standardised rate covariates; group members and sponsors' targets; per tie, its reversed entry (and, unless `uniform_ties`, its
    /// fragmentation weight); the tables of repeated tie sums; one member list per event. Exact for
    /// synthetic worlds without events (see [`Model::heap_bytes`] and the tests of `footprint`)
    /// apart from a few short lists; the equal-GDP table is counted even where GDPs differ.
    pub fn footprint(sizes: &crate::limits::Sizes) -> u64 {
        use crate::limits::{mul, sat_sum};
        let (n, d, k) = (sizes.agents, sizes.domains, sizes.frameworks);
        let per_state = sat_sum(&[
            k,
            mul(&[d, 3]),
            1 + 8 + 8,
            mul(&[k, 8, u64::from(sizes.homes)]),
            mul(&[k, 8, u64::from(sizes.freedom_ideals)]),
            mul(&[sizes.rate_covariates, 8]),
        ]);
        let degree = sizes.ties.checked_div(n).unwrap_or(0);
        let per_tie = if sizes.uniform_ties { 4 } else { 12 };
        sat_sum(&[
            mul(&[n.saturating_add(1), per_state]),
            mul(&[sizes.ties, per_tie]),
            mul(&[degree.saturating_add(1), 16]),
            mul(&[sizes.events, n, 5]),
            mul(&[sizes.events, 512]),
            // Affinity and security group members, sponsors' targets (a list per framework, filled
            // one by one: capacity up to twice the length).
            mul(&[sizes.group_members, 4, 2]),
            mul(&[n, k, 8, u64::from(sizes.cell_arrays > 1)]),
        ])
    }

    /// Bytes this model holds on the heap besides its world and scenario (capacities; events by
    /// their member lists).
    pub fn heap_bytes(&self) -> u64 {
        let v = |bytes: usize, cap: usize| (bytes * cap) as u64;
        let opt = |t: &Option<Vec<f64>>| t.as_ref().map_or(0, |t| v(8, t.capacity()));
        let groups = |g: &Vec<GroupTerm>| {
            g.iter().map(|t| v(4, t.members.capacity())).sum::<u64>() + v(std::mem::size_of::<GroupTerm>(), g.capacity())
        };
        let events: u64 =
            self.events.iter().map(ModelEvent::heap_bytes).sum::<u64>() + v(std::mem::size_of::<ModelEvent>(), self.events.capacity());
        self.home.iter().map(|h| v(1, h.capacity())).sum::<u64>()
            + v(24, self.home.capacity())
            + v(1, self.anchor.capacity())
            + v(
                8,
                self.econ.capacity() + self.freedom.capacity() + self.frag_weight.capacity() + self.rate_z.capacity(),
            )
            + groups(&self.affinity_groups)
            + groups(&self.security_groups)
            + v(1, self.hedgers.capacity())
            + v(2, self.initial_rule.capacity())
            + self.sponsor_targets.iter().map(|t| v(4, t.capacity())).sum::<u64>()
            + v(24, self.sponsor_targets.capacity())
            + events
            + opt(&self.gdp_sums)
            + opt(&self.tie_sums)
            + opt(&self.frag_sums)
            + v(8, self.in_offsets.capacity())
            + v(4, self.in_sources.capacity())
    }

    /// Bind a validated scenario to a world, checking every name against it.
    pub fn build(scenario: Scenario, world: World) -> Result<Model> {
        let layout = Layout {
            states: world.len(),
            domains: scenario.d(),
            frameworks: scenario.k(),
            years: scenario.steps() + 1,
        };
        bind::check_bloc_boost(&scenario, &world)?;
        let home = bind::homes(&scenario, &world)?;
        let anchor = bind::anchors(&scenario, &world, &home)?;

        let econ = none_if_zero(economy::pull(&world.ties, &home));
        let freedom = none_if_zero(tastes::freedom(&scenario, &world));
        let affinity_groups = tastes::group_terms(&scenario, &world, |f| &f.affinity)?;
        let security_groups = tastes::group_terms(&scenario, &world, |f| &f.security)?;
        let hedgers = bind::select(&scenario, &world, &scenario.hedgers)?;

        let initial_rule = bind::initial_rules(&scenario, &world, &anchor)?;
        let sponsor_targets = sponsors::targets(&scenario, &world, &home)?;
        let events = events::resolve(&scenario, &world, &home)?;
        let has_partnerships = events.iter().any(|e| matches!(e.action, ModelAction::Partnership { .. }));
        let has_export_controls = events.iter().any(|e| matches!(e.action, ModelAction::ExportControl { .. }));
        let has_sponsors = scenario.framework_specs.iter().any(|f| f.sponsor.is_some());
        let has_anchors = anchor.iter().any(|&a| a != NO_ANCHOR);

        let total_gdp = world.gdp.iter().sum();
        let total_population = world.population.iter().sum();
        let tables = Tables::build(&world)?;
        let rate_z = rate::standardised_covariates(&scenario, &world)?;
        Ok(Model {
            rate_z,
            scenario,
            world,
            layout,
            home,
            anchor,
            econ,
            freedom,
            affinity_groups,
            security_groups,
            hedgers,
            initial_rule,
            sponsor_targets,
            events,
            has_partnerships,
            has_export_controls,
            has_sponsors,
            has_anchors,
            total_gdp,
            total_population,
            frag_weight: tables.frag_weight,
            gdp_sums: tables.gdp_sums,
            tie_sums: tables.tie_sums,
            frag_sums: tables.frag_sums,
            count_bits: tables.count_bits,
            in_offsets: tables.in_offsets,
            in_sources: tables.in_sources,
        })
    }

    /// Load a scenario's world and bind them, without the memory checks of
    /// [`crate::footprint::load_model`] (which the commands use).
    pub fn from_scenario(scenario: Scenario) -> Result<Model> {
        let world = World::build(&scenario.world.clone())?;
        Model::build(scenario, world)
    }

    /// A_ik and S_ik of a run before weighting (`[i*K + k]`): freedom closeness times its drawn
    /// weight, group bonuses, and taste heterogeneity drawn from `setup` (one draw per state and
    /// framework, in state order; taken on several threads when `parallel`, the same numbers).
    pub fn tastes(&self, draws: &[f64], setup: &mut crate::rng::Generator, parallel: bool) -> (Vec<f64>, Vec<f64>) {
        let s = &self.scenario;
        let (n, k) = (self.layout.states, self.layout.frameworks);
        let freedom_weight: Vec<f64> = s.framework_specs.iter().map(|f| f.freedom_weight.value(draws)).collect();
        // Framework by framework along each state's row (no division per entry), in blocks of
        // states on several threads when the run is split.
        let mut aff = vec![0.0; n * k];
        let block = TASTE_BLOCK_STATES * k.max(1);
        let fill = |(b, rows): (usize, &mut [f64])| {
            // Without a stored freedom closeness each entry is its weight times 0.0, as before.
            let freedom = self.freedom.get(b * block..b * block + rows.len());
            for (j, row) in rows.chunks_exact_mut(k).enumerate() {
                for (f, (a, &w)) in row.iter_mut().zip(&freedom_weight).enumerate() {
                    *a = w * freedom.map_or(0.0, |x| x[j * k + f]);
                }
            }
        };
        if parallel {
            aff.par_chunks_mut(block).enumerate().for_each(fill);
        } else {
            aff.chunks_mut(block).enumerate().for_each(fill);
        }
        for g in &self.affinity_groups {
            security::add_group(&mut aff, &g.members, g.framework, k, g.weight.value(draws));
        }
        affinity::add_heterogeneity(&mut aff, s.heterogeneity, setup, parallel);
        // Without security groups every S_ik is 0: not stored.
        let mut sec = if self.security_groups.is_empty() {
            Vec::new()
        } else {
            vec![0.0; n * k]
        };
        for g in &self.security_groups {
            security::add_group(&mut sec, &g.members, g.framework, k, g.weight.value(draws));
        }
        (aff, sec)
    }

    /// Names for labelled output.
    pub fn labels(&self) -> Labels {
        Labels {
            scenario: self.scenario.name.clone(),
            frameworks: self.scenario.frameworks.clone(),
            domains: self.scenario.domains.clone(),
            state_ids: self.world.ids.to_vec(),
            state_names: self.world.all_names(),
            uncertain: self.scenario.uncertain.iter().map(|u| u.key.clone()).collect(),
            start_year: self.scenario.start,
        }
    }
}

/// `values`, or nothing when every value is +0.0 (the readers then take 0.0, the same bits).
fn none_if_zero(values: Vec<f64>) -> Vec<f64> {
    if values.iter().all(|&x| x.to_bits() == 0) {
        Vec::new()
    } else {
        values
    }
}

/// The parameter values of one run; `set` events change them during the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Knobs {
    /// Choice intensity λ.
    pub lambda: f64,
    /// Global term weights.
    pub weights: [f64; TERMS],
    /// Domain overrides of term weights.
    pub domain_weights: Vec<[Option<f64>; TERMS]>,
    /// Yearly depreciation of sponsors' investment stocks.
    pub depreciation: f64,
    /// Multiplier of the investment term's stocks.
    pub investment_scale: f64,
    /// Revision probability per domain.
    pub rate: Vec<f64>,
    /// The coefficients of the revision rate's covariates (`[rate]`, in the scenario's order).
    pub rate_coef: Vec<f64>,
    /// Switching cost per domain.
    pub cost: Vec<f64>,
    /// Standards push `[d*K + k]`.
    pub standards: Vec<f64>,
    /// Framework constants α_dk `[d*K + k]` (0 for the reference framework).
    pub constant: Vec<f64>,
    /// Sponsor budget per framework, million US$ per year (0 without a sponsor).
    pub budget: Vec<f64>,
}

impl Knobs {
    /// The values of a run whose uncertain parameters were drawn as `draws`.
    pub fn realize(s: &Scenario, draws: &[f64]) -> Knobs {
        let v = |p: Param| p.value(draws);
        Knobs {
            lambda: v(s.lambda),
            weights: s.weights.map(v),
            domain_weights: s.domain_specs.iter().map(|d| d.weights.map(|w| w.map(v))).collect(),
            depreciation: v(s.depreciation),
            investment_scale: v(s.investment_scale),
            rate: s.domain_specs.iter().map(|d| v(d.revision_rate)).collect(),
            rate_coef: s.rate_covariates.iter().map(|&(_, p)| v(p)).collect(),
            cost: s.domain_specs.iter().map(|d| v(d.switching_cost)).collect(),
            standards: s.domain_specs.iter().flat_map(|d| d.standards.iter().map(|&p| v(p))).collect(),
            constant: s.domain_specs.iter().flat_map(|d| d.constants.iter().map(|&p| v(p))).collect(),
            budget: s
                .framework_specs
                .iter()
                .map(|f| f.sponsor.as_ref().map_or(0.0, |sp| v(sp.budget)))
                .collect(),
        }
    }

    /// The weight of `term` in domain `d`: the domain's override, else the global weight.
    #[inline]
    pub fn weight(&self, d: usize, term: Term) -> f64 {
        self.domain_weights[d][term as usize].unwrap_or(self.weights[term as usize])
    }

    /// The current value of a parameter that events can set.
    pub fn get(&self, knob: Knob, frameworks: usize) -> f64 {
        match knob {
            Knob::Lambda => self.lambda,
            Knob::Weight(t) => self.weights[t as usize],
            Knob::Depreciation => self.depreciation,
            Knob::InvestmentScale => self.investment_scale,
            Knob::RevisionRate(d) => self.rate[d],
            Knob::SwitchingCost(d) => self.cost[d],
            Knob::Standards(d, k) => self.standards[d * frameworks + k],
            Knob::DomainWeight(d, t) => self.weight(d, t),
            Knob::Budget(k) => self.budget[k],
        }
    }

    /// Apply a `set` event.
    pub fn set(&mut self, knob: Knob, value: f64, frameworks: usize) {
        match knob {
            Knob::Lambda => self.lambda = value,
            Knob::Weight(t) => self.weights[t as usize] = value,
            Knob::Depreciation => self.depreciation = value,
            Knob::InvestmentScale => self.investment_scale = value,
            Knob::RevisionRate(d) => self.rate[d] = value,
            Knob::SwitchingCost(d) => self.cost[d] = value,
            Knob::Standards(d, k) => self.standards[d * frameworks + k] = value,
            Knob::DomainWeight(d, t) => self.domain_weights[d][t as usize] = Some(value),
            Knob::Budget(k) => self.budget[k] = value,
        }
    }
}
