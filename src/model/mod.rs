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
//! dynamics in [`crate::run`].

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

use crate::error::{Error, Result};
use crate::metrics::{Labels, Layout};
use crate::scenario::{Action, Condition, Knob, Param, Scenario, Selector, SetValue, TERMS, Term};
use crate::world::{StateId, World};

/// Marks a cell that is not anchored to any framework.
pub const NO_ANCHOR: u8 = u8::MAX;

/// Membership bonus of a group for a framework (affinity or security).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupTerm {
    pub framework: usize,
    pub members: Vec<StateId>,
    pub weight: Param,
}

/// An event resolved against the world: the step it applies at (1 = the first simulated year), or,
/// with a condition, the first step at which the condition is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelEvent {
    pub step: usize,
    pub when: Option<Condition>,
    /// Years after which a reversible action is undone.
    pub duration: Option<u32>,
    pub action: ModelAction,
}

/// What a resolved event does.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelAction {
    Set {
        knob: Knob,
        value: SetValue,
    },
    Partnership {
        framework: usize,
        states: Vec<StateId>,
        domains: Vec<bool>,
        bonus: f64,
    },
    ExportControl {
        framework: usize,
        states: Vec<StateId>,
        domains: Vec<bool>,
        penalty: f64,
    },
    Force {
        framework: usize,
        states: Vec<StateId>,
        domains: Vec<bool>,
        lock_years: u32,
    },
    Coordinate {
        states: Vec<StateId>,
        domains: Vec<bool>,
    },
}

/// A scenario bound to its world: the static, shared input of every run of a batch.
#[derive(Debug, Clone)]
pub struct Model {
    pub scenario: Scenario,
    pub world: World,
    pub layout: Layout,
    /// `home[k][i]`: is state i a home state of framework k?
    pub home: Vec<Vec<bool>>,
    /// `anchor[d*N + i]`: the framework state i is locked to in domain d, or [`NO_ANCHOR`].
    pub anchor: Vec<u8>,
    /// E_ik, `[i*K + k]`.
    pub econ: Vec<f64>,
    /// Freedom closeness −|f_i − ideal_k|/10, `[i*K + k]` (0 where a framework has no ideal point).
    pub freedom: Vec<f64>,
    pub affinity_groups: Vec<GroupTerm>,
    pub security_groups: Vec<GroupTerm>,
    /// Which states have a hedging motive.
    pub hedgers: Vec<bool>,
    /// `initial_rule[d*N + i]`: index of the initial rule of domain d that covers state i.
    pub initial_rule: Vec<u16>,
    /// Per framework: eligible recipients of its sponsor's budget (targets minus its home states).
    pub sponsor_targets: Vec<Vec<StateId>>,
    pub events: Vec<ModelEvent>,
    pub has_partnerships: bool,
    pub has_export_controls: bool,
    pub has_sponsors: bool,
    /// Whether any cell is anchored (revisions then check each cell's anchor).
    pub has_anchors: bool,
    pub total_gdp: f64,
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
    pub in_sources: Vec<StateId>,
    /// The revision rate's covariates standardised over the states, `[c*N + i]` in the order of
    /// `scenario.rate_covariates` (empty without `[rate]`).
    pub rate_z: Vec<f64>,
}

/// Largest number of partners per state for the count tables ([`Model::tie_sums`]): counts are
/// packed as bytes.
pub const MAX_TABLE_DEGREE: usize = 255;

/// `Some(table)` when every value of `w` is the same, with `table[c]` the sum of c copies added one
/// at a time, c = 0..=`max_count`.
fn repeated_sums(w: impl Iterator<Item = f64>, max_count: usize) -> Option<Vec<f64>> {
    let mut w = w.peekable();
    let first = w.peek().copied().unwrap_or(0.0);
    if !w.all(|x| x.to_bits() == first.to_bits()) {
        return None;
    }
    let mut table = Vec::with_capacity(max_count + 1);
    let mut acc = 0.0;
    table.push(acc);
    for _ in 0..max_count {
        acc += first;
        table.push(acc);
    }
    Some(table)
}

impl Model {
    /// Bytes of a model with these sizes: per state, home, anchor, E, freedom, hedgers, initial rule,
    /// sponsor targets, the reversed ties' row offsets and the equal-GDP table; per tie, its
    /// fragmentation weight and reversed entry; one member list per event.
    pub fn footprint(sizes: &crate::limits::Sizes) -> u64 {
        use crate::limits::{mul, sat_sum};
        let (n, d, k) = (sizes.agents, sizes.domains, sizes.frameworks);
        let per_state = sat_sum(&[mul(&[k, 21]), mul(&[d, 3]), 18, mul(&[sizes.rate_covariates, 8])]);
        sat_sum(&[
            mul(&[n, per_state]),
            mul(&[sizes.ties, 12]),
            mul(&[sizes.events, n, 5]),
            mul(&[sizes.events, 512]),
        ])
    }

    /// Bind a validated scenario to a world, checking every name against it.
    pub fn build(scenario: Scenario, world: World) -> Result<Model> {
        let n = world.len();
        let (k_count, d_count) = (scenario.k(), scenario.d());
        let layout = Layout {
            states: n,
            domains: d_count,
            frameworks: k_count,
            years: scenario.steps() + 1,
        };
        let select = |sel: &Selector| -> Result<Vec<bool>> {
            world.select(sel).map_err(|(i, msg)| {
                let key = match i.checked_sub(sel.include.len()) {
                    None => format!("{}[{i}]", sel.key),
                    Some(j) => format!("{}[{j}]", sel.except_key),
                };
                scenario.error(&key, msg)
            })
        };
        let members = |mask: &[bool]| -> Vec<StateId> { mask.iter().enumerate().filter(|(_, m)| **m).map(|(i, _)| i as StateId).collect() };
        for (g, _) in &scenario.world.gravity.bloc_boost {
            if world.groups.members(g).is_none() && matches!(scenario.world.source, crate::scenario::WorldSource::Countries { .. }) {
                return Err(scenario.error(
                    &format!("world.gravity.bloc_boost.{g}"),
                    format!("unknown group `{g}`; the world's groups are: {}", world.groups.names.join(", ")),
                ));
            }
        }

        let mut home = Vec::with_capacity(k_count);
        for f in &scenario.framework_specs {
            home.push(select(&f.home)?);
        }

        let mut anchor = vec![NO_ANCHOR; d_count * n];
        for (d, dom) in scenario.domain_specs.iter().enumerate() {
            for k in (0..k_count).filter(|&k| dom.anchored[k]) {
                for i in (0..n).filter(|&i| home[k][i]) {
                    let cell = &mut anchor[d * n + i];
                    if *cell != NO_ANCHOR && *cell as usize != k {
                        return Err(scenario.error(
                            &format!("domain.{}.anchored", dom.name),
                            format!(
                                "state {} is a home state of both {} and {}, which are anchored in this domain",
                                world.ids[i], scenario.frameworks[*cell as usize], scenario.frameworks[k]
                            ),
                        ));
                    }
                    *cell = k as u8;
                }
            }
        }

        let econ = economy::pull(&world.ties, &home);
        let mut freedom = vec![0.0; n * k_count];
        for (k, f) in scenario.framework_specs.iter().enumerate() {
            if let Some(ideal) = f.freedom_ideal {
                for i in 0..n {
                    freedom[i * k_count + k] = affinity::freedom_closeness(world.freedom[i], ideal);
                }
            }
        }
        let group_terms = |pick: fn(&crate::scenario::FrameworkSpec) -> &Vec<(String, Param, String)>| -> Result<Vec<GroupTerm>> {
            let mut out = Vec::new();
            for (k, f) in scenario.framework_specs.iter().enumerate() {
                for (g, weight, key) in pick(f) {
                    let m = world.groups.members(g).ok_or_else(|| {
                        scenario.error(
                            key,
                            format!("unknown group `{g}`; the world's groups are: {}", world.groups.names.join(", ")),
                        )
                    })?;
                    out.push(GroupTerm {
                        framework: k,
                        members: m.to_vec(),
                        weight: *weight,
                    });
                }
            }
            Ok(out)
        };
        let affinity_groups = group_terms(|f| &f.affinity)?;
        let security_groups = group_terms(|f| &f.security)?;
        let hedgers = select(&scenario.hedgers)?;

        let mut initial_rule = vec![u16::MAX; d_count * n];
        for (d, dom) in scenario.domain_specs.iter().enumerate() {
            for (r, rule) in dom.initial.iter().enumerate() {
                let mask = select(&rule.states)?;
                for i in 0..n {
                    if mask[i] && initial_rule[d * n + i] == u16::MAX {
                        initial_rule[d * n + i] = r as u16;
                    }
                }
            }
            if let Some(i) = (0..n).find(|&i| initial_rule[d * n + i] == u16::MAX && anchor[d * n + i] == NO_ANCHOR) {
                return Err(scenario.error(
                    &format!("domain.{}.initial", dom.name),
                    format!(
                        "no initial rule covers state {}; add a last rule with states = [\"all\"]",
                        world.ids[i]
                    ),
                ));
            }
        }

        let mut sponsor_targets = Vec::with_capacity(k_count);
        for (k, f) in scenario.framework_specs.iter().enumerate() {
            let targets = match &f.sponsor {
                Some(s) => {
                    let mask = select(&s.targets)?;
                    (0..n).filter(|&i| mask[i] && !home[k][i]).map(|i| i as StateId).collect()
                }
                None => Vec::new(),
            };
            sponsor_targets.push(targets);
        }

        let mut events = Vec::new();
        for e in &scenario.events {
            let step = (e.year - scenario.start) as usize;
            let action = match &e.action {
                Action::Set { knob, value } => ModelAction::Set {
                    knob: *knob,
                    value: *value,
                },
                Action::Partnership {
                    framework,
                    states,
                    domains,
                    affinity,
                } => ModelAction::Partnership {
                    framework: *framework,
                    states: members(&select(states)?),
                    domains: domains.clone(),
                    bonus: *affinity,
                },
                Action::ExportControl {
                    framework,
                    exempt,
                    domains,
                    penalty,
                } => {
                    let ex = select(exempt)?;
                    let states = (0..n).filter(|&i| !ex[i] && !home[*framework][i]).map(|i| i as StateId).collect();
                    ModelAction::ExportControl {
                        framework: *framework,
                        states,
                        domains: domains.clone(),
                        penalty: *penalty,
                    }
                }
                Action::Force {
                    framework,
                    states,
                    domains,
                    lock_years,
                } => ModelAction::Force {
                    framework: *framework,
                    states: members(&select(states)?),
                    domains: domains.clone(),
                    lock_years: *lock_years,
                },
                Action::Coordinate { states, domains } => ModelAction::Coordinate {
                    states: members(&select(states)?),
                    domains: domains.clone(),
                },
            };
            events.push(ModelEvent {
                step,
                when: e.when,
                duration: e.duration,
                action,
            });
        }
        let has_partnerships = events.iter().any(|e| matches!(e.action, ModelAction::Partnership { .. }));
        let has_export_controls = events.iter().any(|e| matches!(e.action, ModelAction::ExportControl { .. }));
        let has_sponsors = scenario.framework_specs.iter().any(|f| f.sponsor.is_some());
        let has_anchors = anchor.iter().any(|&a| a != NO_ANCHOR);

        let total_gdp = world.gdp.iter().sum();
        let total_population = world.population.iter().sum();
        let mut frag_scale = vec![0.0; n];
        let mut frag_total = 0.0;
        for (i, scale) in frag_scale.iter_mut().enumerate() {
            let (_, w) = world.ties.row(i);
            let abs: f64 = w.iter().map(|&x| f64::from(x).abs()).sum();
            if abs > 0.0 {
                *scale = world.ties.row_total[i] / abs;
                frag_total += world.ties.row_total[i];
            }
        }

        let tie_frag_weights = |i: usize| {
            let (_, w) = world.ties.row(i);
            let scale = if frag_total > 0.0 { frag_scale[i] / frag_total } else { 0.0 };
            w.iter().map(move |&x| f64::from(x).abs() * scale)
        };
        let all_frag_weights = || (0..n).flat_map(tie_frag_weights);

        if n == 0 {
            return Err(Error::Usage("the world has no states".into()));
        }
        let max_degree = (0..n).map(|i| world.ties.offsets[i + 1] - world.ties.offsets[i]).max().unwrap_or(0);
        // Counts of partners index these tables; beyond MAX_TABLE_DEGREE they do not fit a byte.
        let small = max_degree <= MAX_TABLE_DEGREE;
        let tie_sums = small
            .then(|| repeated_sums(world.ties.weights.iter().map(|&w| f64::from(w)), max_degree))
            .flatten();
        let frag_sums = small.then(|| repeated_sums(all_frag_weights(), max_degree)).flatten();
        // With one weight the index needs only the table above.
        let frag_weight: Vec<f64> = if frag_sums.is_some() {
            Vec::new()
        } else {
            all_frag_weights().collect()
        };
        let gdp_sums = repeated_sums(world.gdp.iter().copied(), n);
        let (mut in_offsets, mut in_sources) = (Vec::new(), Vec::new());
        if frag_sums.is_none() || tie_sums.is_some() {
            in_offsets = vec![0usize; n + 1];
            for &j in &world.ties.targets {
                in_offsets[j as usize + 1] += 1;
            }
            for j in 0..n {
                in_offsets[j + 1] += in_offsets[j];
            }
            let mut fill = in_offsets.clone();
            in_sources = vec![0; world.ties.targets.len()];
            for i in 0..n {
                for &j in world.ties.row(i).0 {
                    in_sources[fill[j as usize]] = i as StateId;
                    fill[j as usize] += 1;
                }
            }
        }
        let mut rate_z = Vec::with_capacity(n * scenario.rate_covariates.len());
        for (c, _) in &scenario.rate_covariates {
            let z = rate::raw_values(&world, c)
                .and_then(|x| rate::standardise(&x))
                .map_err(|m| scenario.error(&format!("rate.{}", c.key()), m))?;
            rate_z.extend(z);
        }
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
            frag_weight,
            gdp_sums,
            tie_sums,
            frag_sums,
            count_bits: (usize::BITS - max_degree.leading_zeros()).max(1),
            in_offsets,
            in_sources,
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
    /// framework, in state order).
    pub fn tastes(&self, draws: &[f64], setup: &mut crate::rng::Generator) -> (Vec<f64>, Vec<f64>) {
        let s = &self.scenario;
        let (n, k) = (self.layout.states, self.layout.frameworks);
        let mut aff = vec![0.0; n * k];
        for (i, (a, f)) in aff.iter_mut().zip(&self.freedom).enumerate() {
            *a = s.framework_specs[i % k].freedom_weight.value(draws) * f;
        }
        for g in &self.affinity_groups {
            security::add_group(&mut aff, &g.members, g.framework, k, g.weight.value(draws));
        }
        affinity::add_heterogeneity(&mut aff, s.heterogeneity, setup);
        let mut sec = vec![0.0; n * k];
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
            state_ids: self.world.ids.clone(),
            state_names: self.world.names.clone(),
            uncertain: self.scenario.uncertain.iter().map(|u| u.key.clone()).collect(),
            start_year: self.scenario.start,
        }
    }
}

/// The parameter values of one run; `set` events change them during the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Knobs {
    pub lambda: f64,
    /// Global term weights.
    pub weights: [f64; TERMS],
    /// Domain overrides of term weights.
    pub domain_weights: Vec<[Option<f64>; TERMS]>,
    pub depreciation: f64,
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
