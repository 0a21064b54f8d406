//! One run: a single simulated history of a scenario, from the initial alignments to the horizon.
//!
//! Each year (step s = 1..T, calendar year start + s): the year's events apply; sponsors depreciate
//! and add to their investment stocks; the static part of every utility is refreshed (standards pull
//! uses the GDP shares after this year's events: last year's moves plus forced ones); then states
//! revise, synchronously (all decisions read last year's alignments) or sequentially (states in a
//! fresh random order, each seeing earlier moves); and the year's outcomes are recorded.
//!
//! All randomness comes from the run's own streams ([`crate::rng`]): parameter draws, setup
//! (heterogeneity and initial alignments), and dynamics, positioned at a fixed offset each year.
//! Every cell (anchored and locked ones included) consumes exactly one 64-bit draw per year, so
//! scenarios compared on common random numbers stay paired cell by cell; only ties under best
//! response and the sequential shuffle take extra draws, and the pairing restarts each year.

use rand::RngExt;
use rayon::prelude::*;

use crate::metrics::RunOutcome;
use crate::model::{
    Knobs, MAX_TABLE_DEGREE, Model, ModelAction, NO_ANCHOR, affinity, choice, hedging, investment, network, security, sponsors, standards,
};
use crate::rng::{Generator, Purpose, RunRng, run_rng};
use crate::scenario::{Revision, SetValue, ShareMeasure, Term, param};

/// Run `run` of the batch seeded with `seed`.
pub fn run_one(model: &Model, seed: u64, run: u64) -> RunOutcome {
    run_timed(model, seed, run).0
}

/// [`run_one`], also returning the seconds spent setting the run up (parameter draws,
/// heterogeneity, initial alignments, first record) and simulating its steps (with their records).
pub fn run_timed(model: &Model, seed: u64, run: u64) -> (RunOutcome, f64, f64) {
    let t0 = std::time::Instant::now();
    let draws = param::draw_all(&model.scenario.uncertain, &mut run_rng(seed, run, Purpose::Parameters));
    let mut sim = Simulation::new(model, &draws, &mut run_rng(seed, run, Purpose::Setup));
    let mut outcome = sim.empty_outcome(run, draws);
    sim.record(0, &mut outcome);
    let t1 = std::time::Instant::now();
    let mut rng = run_rng(seed, run, Purpose::Dynamics);
    for step in 1..model.layout.years {
        sim.step(step, &mut rng);
        sim.record(step, &mut outcome);
    }
    sim.finish(&mut outcome);
    let t2 = std::time::Instant::now();
    (outcome, (t1 - t0).as_secs_f64(), (t2 - t1).as_secs_f64())
}

/// The mutable state of one run. Arrays are indexed `[d*N + i]` (cells) or `[(d*N + i)*K + k]`.
pub struct Simulation<'m> {
    m: &'m Model,
    n: usize,
    d: usize,
    k: usize,
    knobs: Knobs,
    align: Vec<u8>,
    next: Vec<u8>,
    /// A forced cell may not revise while the step is below this value.
    locked_until: Vec<u32>,
    /// The largest value of `locked_until`: from that step on no cell is locked.
    lock_max: u32,
    /// A_ik before weighting: freedom closeness, group bonuses and heterogeneity, `[i*K + k]`.
    affinity: Vec<f64>,
    /// S_ik before weighting, `[i*K + k]`.
    security: Vec<f64>,
    /// Partnership bonuses P_idk (empty without partnership events).
    partnership: Vec<f64>,
    /// Export-control penalties X_idk (empty without export-control events).
    export: Vec<f64>,
    /// Investment stocks, million US$ (empty without sponsors).
    stock: Vec<f64>,
    /// Utility terms that do not depend on this year's moves, `[(d*N + i)*K + k]`.
    static_u: Vec<f64>,
    /// exp(lambda (static_u − max_k static_u)) per cell, `[(d*N + i)*K + k]`, for the table-driven
    /// logit kernel (empty when it is not used; see [`Simulation::fast_logit`]).
    exp_static: Vec<f64>,
    /// Per cell: its term of the fragmentation sum as last computed, and the alignments it was
    /// computed from (weighted ties only; empty until the first record).
    frag_apart: Vec<f64>,
    frag_seen: Vec<u8>,
    /// Scratch marks of the states whose fragmentation term must be recomputed.
    frag_dirty: Vec<u8>,
    /// Per cell `[d*N + i]`: its partners' count on each framework, packed in fields of
    /// `count_bits` bits, framework f in bits f·count_bits and up; gathered
    /// over every tie by a record that finds them stale, then kept up to date by synchronous
    /// revisions, which add each move to the states that count the mover as a partner (worlds with
    /// one tie weight only, and K fields that fit in 32 bits; empty otherwise).
    partner_counts: Vec<u32>,
    /// Bits per framework in a packed partner count ([`Model::count_bits`]).
    count_bits: u32,
    /// Whether `partner_counts` describes the current alignments.
    counts_fresh: bool,
    /// Whether `gdp_share` still describes the current alignments.
    gdp_fresh: bool,
    /// Whether `static_u` (and `exp_static`) still hold for this year's knobs and alignments.
    static_fresh: bool,
    /// GDP share of each framework per domain `[d*K + k]`, as of the last record.
    gdp_share: Vec<f64>,
    switches: Vec<u64>,
    /// Per (d, k): 0 = may still tip, 1 = tipped, 2 = already above one half at the start.
    tip_state: Vec<u8>,
    order: Vec<u32>,
    /// Per event: the step it fired at, if it has.
    fired: Vec<Option<usize>>,
    /// Per event: the value a `set` event replaced, restored when its duration ends.
    saved: Vec<f64>,
    /// Per event: whether a coordination event is in force.
    coordinating: Vec<bool>,
    /// Per cell `[d*N + i]`: the cell belongs to a coordinating bloc and does not revise alone (empty
    /// until a coordination event first fires).
    in_bloc: Vec<bool>,
}

/// Cells per block of the parallel synchronous revision; fixed, so results do not depend on threads.
const BLOCK_CELLS: usize = 16 * 1024;

/// Runs with fewer cells revise in one pass.
const PARALLEL_MIN_CELLS: usize = 2 * BLOCK_CELLS;

/// Below this total weight the table-driven choice defers to the exact logit (underflow guard).
const MIN_TABLE_TOTAL: f64 = 1e-200;

/// One domain's revision settings for a year.
struct DomainKernel {
    rate: f64,
    lambda: f64,
    w_net: f64,
    /// Whether the hedging term is active in this domain (hedgers then take the exact path).
    hedging: bool,
    exp_cost: f64,
    exp_net: [f64; MAX_TABLE_DEGREE + 1],
}

#[inline]
fn unit32(x: u64) -> f64 {
    (x & 0xffff_ffff) as f64 * (1.0 / 4_294_967_296.0)
}

impl<'m> Simulation<'m> {
    /// Set up a run: realised parameters, heterogeneity, initial alignments.
    pub fn new(m: &'m Model, draws: &[f64], setup: &mut Generator) -> Self {
        let s = &m.scenario;
        let (n, d, k) = (m.layout.states, m.layout.domains, m.layout.frameworks);
        let knobs = Knobs::realize(s, draws);

        let mut aff = vec![0.0; n * k];
        for (i, (a, f)) in aff.iter_mut().zip(&m.freedom).enumerate() {
            let fw = i % k;
            *a = s.framework_specs[fw].freedom_weight.value(draws) * f;
        }
        for g in &m.affinity_groups {
            security::add_group(&mut aff, &g.members, g.framework, k, g.weight.value(draws));
        }
        affinity::add_heterogeneity(&mut aff, s.heterogeneity, setup);
        let mut sec = vec![0.0; n * k];
        for g in &m.security_groups {
            security::add_group(&mut sec, &g.members, g.framework, k, g.weight.value(draws));
        }

        let mut align = vec![0u8; n * d];
        for dom in 0..d {
            let rules = &s.domain_specs[dom].initial;
            for i in 0..n {
                let cell = dom * n + i;
                let v: f64 = setup.random();
                align[cell] = if m.anchor[cell] != NO_ANCHOR {
                    m.anchor[cell]
                } else {
                    let shares = &rules[m.initial_rule[cell] as usize].shares;
                    pick(shares, v) as u8
                };
            }
        }
        let cells_k = if m.has_partnerships { n * d * k } else { 0 };
        let export_k = if m.has_export_controls { n * d * k } else { 0 };
        let stock_k = if m.has_sponsors { n * d * k } else { 0 };
        let mut sim = Simulation {
            m,
            n,
            d,
            k,
            knobs,
            next: align.clone(),
            align,
            locked_until: vec![0; n * d],
            lock_max: 0,
            affinity: aff,
            security: sec,
            partnership: vec![0.0; cells_k],
            export: vec![0.0; export_k],
            stock: vec![0.0; stock_k],
            static_u: vec![0.0; n * d * k],
            exp_static: Vec::new(),
            frag_apart: Vec::new(),
            partner_counts: if m.tie_sums.is_some() && m.frag_sums.is_some() && k as u32 * m.count_bits <= 32 {
                vec![0; n * d]
            } else {
                Vec::new()
            },
            count_bits: m.count_bits,
            counts_fresh: false,
            frag_seen: Vec::new(),
            frag_dirty: Vec::new(),
            gdp_fresh: false,
            static_fresh: false,
            gdp_share: vec![0.0; d * k],
            switches: vec![0; d],
            tip_state: vec![0; d * k],
            order: Vec::new(),
            fired: vec![None; m.events.len()],
            saved: vec![0.0; m.events.len()],
            coordinating: vec![false; m.events.len()],
            in_bloc: Vec::new(),
        };
        sim.refresh_static();
        sim
    }

    /// An outcome with every array sized for this run.
    pub fn empty_outcome(&self, run: u64, draws: Vec<f64>) -> RunOutcome {
        let l = &self.m.layout;
        RunOutcome {
            run,
            draws,
            counts: vec![0; l.share_len()],
            gdp_shares: vec![0.0; l.share_len()],
            pop_shares: vec![0.0; self.d * self.k],
            fragmentation: vec![0.0; l.years],
            fragmentation_final: vec![0.0; self.d],
            hedging: vec![0.0; l.years],
            bloc: vec![0.0; self.k],
            switches: vec![0; self.d],
            tipping_year: vec![None; self.d * self.k],
            final_alignment: Vec::new(),
        }
    }

    /// The current alignment of every cell, `[d*N + i]`.
    pub fn alignment(&self) -> &[u8] {
        &self.align
    }

    /// Simulate one year.
    pub fn step(&mut self, step: usize, rng: &mut Generator) {
        rng.at_step(step as u32);
        if self.apply_events(step) {
            self.static_fresh = false;
        }
        if self.m.has_sponsors {
            self.invest();
            self.static_fresh = false;
        }
        // The standards pull reads last year's GDP shares, which this year's moves change.
        if (0..self.d).any(|d| self.knobs.weight(d, Term::Standards) != 0.0) {
            self.static_fresh = false;
        }
        if !self.static_fresh {
            self.refresh_static();
        }
        match self.m.scenario.revision {
            // Keeps the partner counts up to date when they were.
            Revision::Synchronous => self.revise_synchronous(step, rng),
            Revision::Sequential => {
                self.revise_sequential(step, rng);
                self.counts_fresh = false;
            }
        }
        if self.coordinating.iter().any(|&c| c) {
            self.revise_blocs(step, rng);
            self.counts_fresh = false;
        }
        self.gdp_fresh = false;
    }

    /// Fire the events due this step (fixed-year ones at their step; conditional ones at the first
    /// step from theirs whose condition holds on last year's shares), then undo those whose duration
    /// ends now. Events apply in file order. Returns whether any event acted.
    fn apply_events(&mut self, step: usize) -> bool {
        let mut blocs_changed = false;
        let mut acted = false;
        for idx in 0..self.m.events.len() {
            let e = &self.m.events[idx];
            match self.fired[idx] {
                None => {
                    let due = match &e.when {
                        None => e.step == step,
                        Some(c) => step >= e.step && c.holds(self.share(c.domain, c.framework, c.measure)),
                    };
                    if due {
                        self.fired[idx] = Some(step);
                        blocs_changed |= self.act(idx, step, true);
                        acted = true;
                    }
                }
                Some(at) => {
                    if e.duration.is_some_and(|d| at + d as usize == step) {
                        blocs_changed |= self.act(idx, step, false);
                        acted = true;
                    }
                }
            }
        }
        if blocs_changed {
            self.refresh_blocs();
        }
        if acted {
            // A forced move changes the alignments that GDP shares and partner counts come from.
            self.gdp_fresh = false;
            self.counts_fresh = false;
        }
        acted
    }

    /// Last year's share of framework `k` in domain `d` (the alignments as they stand before this
    /// year's events).
    fn share(&self, d: usize, k: usize, measure: ShareMeasure) -> f64 {
        let row = &self.align[d * self.n..(d + 1) * self.n];
        match measure {
            ShareMeasure::Count => row.iter().filter(|&&a| a as usize == k).count() as f64 / self.n as f64,
            ShareMeasure::Gdp => {
                let on: f64 = row
                    .iter()
                    .zip(&self.m.world.gdp)
                    .filter(|&(&a, _)| a as usize == k)
                    .map(|(_, &g)| g)
                    .sum();
                if self.m.total_gdp > 0.0 { on / self.m.total_gdp } else { 0.0 }
            }
        }
    }

    /// Start (`on`) or undo event `idx`; returns whether coordinating blocs changed.
    fn act(&mut self, idx: usize, step: usize, on: bool) -> bool {
        let (n, k) = (self.n, self.k);
        let sign = if on { 1.0 } else { -1.0 };
        match &self.m.events[idx].action {
            ModelAction::Set { knob, value } => {
                if on {
                    let before = self.knobs.get(*knob, k);
                    self.saved[idx] = before;
                    let new = match *value {
                        SetValue::To(v) => v,
                        SetValue::Scale(f) => before * f,
                    };
                    self.knobs.set(*knob, new, k);
                } else {
                    self.knobs.set(*knob, self.saved[idx], k);
                }
            }
            ModelAction::Partnership {
                framework,
                states,
                domains,
                bonus,
            } => {
                for d in (0..self.d).filter(|&d| domains[d]) {
                    for &i in states {
                        self.partnership[(d * n + i as usize) * k + framework] += sign * bonus;
                    }
                }
            }
            ModelAction::ExportControl {
                framework,
                states,
                domains,
                penalty,
            } => {
                for d in (0..self.d).filter(|&d| domains[d]) {
                    for &i in states {
                        self.export[(d * n + i as usize) * k + framework] += sign * penalty;
                    }
                }
            }
            ModelAction::Force {
                framework,
                states,
                domains,
                lock_years,
            } => {
                if on {
                    for d in (0..self.d).filter(|&d| domains[d]) {
                        for &i in states {
                            let cell = d * n + i as usize;
                            if self.m.anchor[cell] == NO_ANCHOR {
                                self.align[cell] = *framework as u8;
                                // Keep the longer lock when forced events overlap.
                                let until = (step + 1) as u32 + lock_years;
                                self.locked_until[cell] = self.locked_until[cell].max(until);
                                self.lock_max = self.lock_max.max(until);
                            }
                        }
                    }
                }
            }
            ModelAction::Coordinate { .. } => {
                self.coordinating[idx] = on;
                return true;
            }
        }
        false
    }

    /// Recompute which cells belong to a coordinating bloc.
    fn refresh_blocs(&mut self) {
        // Allocated on first use: runs without blocs keep no per-cell flags.
        self.in_bloc.clear();
        self.in_bloc.resize(self.n * self.d, false);
        for (idx, e) in self.m.events.iter().enumerate() {
            if let (true, ModelAction::Coordinate { states, domains }) = (self.coordinating[idx], &e.action) {
                for d in (0..self.d).filter(|&d| domains[d]) {
                    for &i in states {
                        self.in_bloc[d * self.n + i as usize] = true;
                    }
                }
            }
        }
    }

    /// Joint decisions of coordinating blocs, after the individual revisions of the year. Each bloc
    /// revises a domain with the domain's revision probability; it then values each framework by
    /// the mean utility of its movable members (their own switching costs included) and picks one
    /// by the same logit (or best-response) rule; every movable member adopts it. Later blocs in
    /// file order decide after earlier ones and see their moves.
    fn revise_blocs(&mut self, step: usize, rng: &mut Generator) {
        let (n, k) = (self.n, self.k);
        let mut u = [0.0; choice::MAX_FRAMEWORKS];
        let mut sum = [0.0; choice::MAX_FRAMEWORKS];
        for idx in 0..self.m.events.len() {
            if !self.coordinating[idx] {
                continue;
            }
            let ModelAction::Coordinate { states, domains } = &self.m.events[idx].action else {
                continue;
            };
            for d in (0..self.d).filter(|&d| domains[d]) {
                let x: u64 = rng.random();
                if unit32(x >> 32) >= self.knobs.rate[d] {
                    continue;
                }
                sum[..k].iter_mut().for_each(|s| *s = 0.0);
                let mut movable = 0usize;
                let mut current = [0u32; choice::MAX_FRAMEWORKS];
                for &i in states {
                    let cell = d * n + i as usize;
                    if !self.may_revise(cell, step) {
                        continue;
                    }
                    self.utilities(&self.align, d, i as usize, &mut u[..k]);
                    for fw in 0..k {
                        sum[fw] += u[fw];
                    }
                    current[self.align[cell] as usize] += 1;
                    movable += 1;
                }
                if movable == 0 {
                    continue;
                }
                sum[..k].iter_mut().for_each(|s| *s /= movable as f64);
                // The bloc's "current" framework, for best-response ties: the one most members use.
                let majority = (0..k).max_by_key(|&fw| (current[fw], std::cmp::Reverse(fw))).unwrap_or(0);
                let c = choice::choose(&sum[..k], majority, self.knobs.lambda, unit32(x), rng);
                for &i in states {
                    let cell = d * n + i as usize;
                    if self.may_revise(cell, step) && self.align[cell] as usize != c {
                        self.switches[d] += 1;
                        self.align[cell] = c as u8;
                    }
                }
            }
        }
    }

    /// Sponsors: depreciate every stock, then spread each budget over its targets.
    fn invest(&mut self) {
        let (n, k) = (self.n, self.k);
        let depreciation = self.knobs.depreciation;
        self.stock.iter_mut().for_each(|s| *s = investment::update(*s, 0.0, depreciation));
        let mut probs = [0.0; choice::MAX_FRAMEWORKS];
        let mut weights = Vec::new();
        for (fw, spec) in self.m.scenario.framework_specs.iter().enumerate() {
            let Some(sp) = &spec.sponsor else { continue };
            let budget = self.knobs.budget[fw];
            let targets = &self.m.sponsor_targets[fw];
            if budget <= 0.0 || targets.is_empty() {
                continue;
            }
            for d in 0..self.d {
                let amount = budget * sp.split[d];
                if amount <= 0.0 {
                    continue;
                }
                weights.clear();
                for &i in targets {
                    let i = i as usize;
                    let row = (d * n + i) * k;
                    // A cell anchored to another framework can never move: money there is not offered.
                    let anchor = self.m.anchor[d * n + i];
                    if anchor != NO_ANCHOR && anchor as usize != fw {
                        weights.push(0.0);
                        continue;
                    }
                    let p = if sp.strategy == crate::scenario::Strategy::Swing {
                        choice::probabilities(&self.static_u[row..row + k], self.knobs.lambda, &mut probs[..k]);
                        probs[fw]
                    } else {
                        0.0
                    };
                    let aligned = self.align[d * n + i] as usize == fw;
                    weights.push(sponsors::weight(
                        sp.strategy,
                        self.m.world.gdp[i],
                        p,
                        self.m.econ[i * k + fw],
                        aligned,
                    ));
                }
                let mut total: f64 = weights.iter().sum();
                if total <= 0.0 && sp.strategy == crate::scenario::Strategy::Swing {
                    // Best response (or certain choices) leaves no swing state: spread evenly over
                    // the cells that can still move rather than leave the budget unspent.
                    for (w, &i) in weights.iter_mut().zip(targets) {
                        let anchor = self.m.anchor[d * n + i as usize];
                        *w = if anchor == NO_ANCHOR || anchor as usize == fw { 1.0 } else { 0.0 };
                    }
                    total = weights.iter().sum();
                }
                if total <= 0.0 {
                    continue;
                }
                for (&i, &w) in targets.iter().zip(&weights) {
                    self.stock[(d * n + i as usize) * k + fw] += amount * w / total;
                }
            }
        }
    }

    /// Recompute the utility terms that stay fixed within a year. Skipped (see [`Simulation::step`])
    /// when none of their inputs changed: recomputing would give the same values.
    fn refresh_static(&mut self) {
        let (n, d_count, k) = (self.n, self.d, self.k);
        let world = &self.m.world;
        if !self.gdp_fresh {
            for d in 0..d_count {
                standards::gdp_shares(
                    &self.align[d * n..(d + 1) * n],
                    &world.gdp,
                    self.m.total_gdp,
                    &mut self.gdp_share[d * k..(d + 1) * k],
                );
            }
            self.gdp_fresh = true;
        }
        for d in 0..d_count {
            let kn = &self.knobs;
            let (w_econ, w_inv, w_aff, w_sec, w_std) = (
                kn.weight(d, Term::Econ),
                kn.weight(d, Term::Investment),
                kn.weight(d, Term::Affinity),
                kn.weight(d, Term::Security),
                kn.weight(d, Term::Standards),
            );
            let scale = kn.investment_scale;
            let mut global = [0.0; choice::MAX_FRAMEWORKS];
            for fw in 0..k {
                global[fw] = w_std * (self.gdp_share[d * k + fw] + kn.standards[d * k + fw]);
            }
            for i in 0..n {
                let base = i * k;
                let row = (d * n + i) * k;
                for fw in 0..k {
                    let mut u =
                        global[fw] + w_econ * self.m.econ[base + fw] + w_aff * self.affinity[base + fw] + w_sec * self.security[base + fw];
                    if !self.partnership.is_empty() {
                        u += w_aff * self.partnership[row + fw];
                    }
                    if !self.export.is_empty() {
                        u -= self.export[row + fw];
                    }
                    // ln(1 + 0) = 0: cells without investment skip the logarithm.
                    if !self.stock.is_empty() && w_inv != 0.0 && self.stock[row + fw] > 0.0 {
                        u += w_inv * investment::value(self.stock[row + fw], world.gdp[i], scale);
                    }
                    self.static_u[row + fw] = u;
                }
            }
        }
        if self.fast_logit() {
            // exp(lambda U) factorises into a static, a network and a switching factor; the static
            // one changes only here.
            let lambda = self.knobs.lambda;
            self.exp_static.resize(self.static_u.len(), 0.0);
            for (e, u) in self.exp_static.chunks_exact_mut(k).zip(self.static_u.chunks_exact(k)) {
                let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                for (x, &v) in e.iter_mut().zip(u) {
                    *x = (lambda * (v - max)).exp();
                }
            }
        }
        self.static_fresh = true;
    }

    /// Whether revisions use the table-driven logit kernel: finite lambda and a world whose ties all
    /// have one weight (so a state's network term depends only on integer counts of partners).
    #[inline]
    fn fast_logit(&self) -> bool {
        self.knobs.lambda.is_finite() && self.m.tie_sums.is_some()
    }

    /// Utilities of one cell given the alignments it reads, into `u[..K]`.
    #[inline]
    fn utilities(&self, read: &[u8], d: usize, i: usize, u: &mut [f64]) {
        let (n, k) = (self.n, self.k);
        let cur = read[d * n + i] as usize;
        let row = (d * n + i) * k;
        u.copy_from_slice(&self.static_u[row..row + k]);
        let w_net = self.knobs.weight(d, Term::Network);
        if w_net != 0.0 {
            let (targets, weights) = self.m.world.ties.row(i);
            let mut shares = [0.0; choice::MAX_FRAMEWORKS];
            network::partner_shares(targets, weights, &read[d * n..(d + 1) * n], &mut shares[..k]);
            for fw in 0..k {
                u[fw] += w_net * shares[fw];
            }
        }
        let w_hedge = self.knobs.weight(d, Term::Hedging);
        if w_hedge != 0.0 && self.d > 1 && self.m.hedgers[i] {
            let mut on = [0u32; choice::MAX_FRAMEWORKS];
            for other in (0..self.d).filter(|&o| o != d) {
                on[read[other * n + i] as usize] += 1;
            }
            for fw in 0..k {
                u[fw] -= w_hedge * hedging::concentration(on[fw], self.d);
            }
        }
        let cost = self.knobs.cost[d];
        for (fw, x) in u.iter_mut().enumerate() {
            if fw != cur {
                *x -= cost;
            }
        }
    }

    #[inline]
    fn may_revise(&self, cell: usize, step: usize) -> bool {
        self.m.anchor[cell] == NO_ANCHOR && self.locked_until[cell] as usize <= step
    }

    /// Whether a cell revises on its own this step (not anchored, not locked, not in a bloc).
    #[inline]
    fn revises_alone(&self, cell: usize, step: usize) -> bool {
        self.may_revise(cell, step) && !self.in_bloc.get(cell).copied().unwrap_or(false)
    }

    fn revise_synchronous(&mut self, step: usize, rng: &mut Generator) {
        let cells = self.n * self.d;
        let mut next = std::mem::take(&mut self.next);
        next.copy_from_slice(&self.align);
        let kernels: Vec<DomainKernel> = (0..self.d).map(|d| self.kernel(d)).collect();
        let mut switches = vec![0u64; self.d];
        if self.knobs.lambda.is_finite() && cells >= PARALLEL_MIN_CELLS {
            // With a finite lambda every cell takes exactly one 64-bit draw, so the draw of cell c is
            // the word pair at 2c from the start of the year: fixed blocks of cells draw from their own
            // copies of the stream, positioned there, and give the same numbers as a single pass —
            // whatever the number of threads.
            let base = rng.get_word_pos();
            let this = &*self;
            let per_block: Vec<Vec<u64>> = next
                .par_chunks_mut(BLOCK_CELLS)
                .enumerate()
                .map(|(b, chunk)| {
                    let first = b * BLOCK_CELLS;
                    let mut r = rng.clone();
                    r.set_word_pos(base + 2 * first as u128);
                    let mut sw = vec![0u64; this.d];
                    this.revise_cells(first, chunk, step, &kernels, &mut r, &mut sw);
                    sw
                })
                .collect();
            for sw in per_block {
                switches.iter_mut().zip(sw).for_each(|(a, b)| *a += b);
            }
            rng.set_word_pos(base + 2 * cells as u128);
        } else {
            self.revise_cells(0, &mut next, step, &kernels, rng, &mut switches);
        }
        self.switches.iter_mut().zip(switches).for_each(|(a, b)| *a += b);
        if self.counts_fresh {
            self.shift_partner_counts(&next);
        }
        self.next = std::mem::replace(&mut self.align, next);
    }

    /// Bring the partner counts from the current alignments to `next`: each state that moved from
    /// framework a to b adds one partner on b and removes one on a for every state that counts it
    /// as a partner. Far fewer memory touches than gathering every tie again, since only movers
    /// are visited. (Fields never wrap: a count on a is at least one before the removal, and no
    /// count exceeds the degree, which fits in a field.)
    fn shift_partner_counts(&mut self, next: &[u8]) {
        let n = self.n;
        let (ins, srcs) = (&self.m.in_offsets, &self.m.in_sources);
        let bits = self.count_bits;
        for ((old, new), counts) in self
            .align
            .chunks_exact(n)
            .zip(next.chunks_exact(n))
            .zip(self.partner_counts.chunks_exact_mut(n))
        {
            // About a third of the states move in a typical year: listed without a branch each.
            let mut movers = [0u16; LIST_BATCH];
            for (b, (old, new)) in old.chunks(LIST_BATCH).zip(new.chunks(LIST_BATCH)).enumerate() {
                let count = list_where(old.iter().zip(new).map(|(a, b)| a != b), &mut movers);
                for &t in &movers[..count] {
                    let (j, t) = (b * LIST_BATCH + t as usize, t as usize);
                    let delta = (1u32 << (bits * u32::from(new[t]))).wrapping_sub(1u32 << (bits * u32::from(old[t])));
                    for &i in &srcs[ins[j]..ins[j + 1]] {
                        let c = &mut counts[i as usize];
                        *c = c.wrapping_add(delta);
                    }
                }
            }
        }
    }

    /// What one domain's revisions need this year, looked up once.
    fn kernel(&self, d: usize) -> DomainKernel {
        let lambda = self.knobs.lambda;
        let w_net = self.knobs.weight(d, Term::Network);
        let mut exp_net = [0.0; MAX_TABLE_DEGREE + 1];
        if let (true, Some(sums)) = (self.fast_logit(), &self.m.tie_sums) {
            // Factor exp(lambda w_net share(c)) for c partners on a framework, scaled so that the
            // largest entry is 1.
            let top = sums.iter().map(|&s| lambda * w_net * s).fold(f64::NEG_INFINITY, f64::max);
            for (e, &s) in exp_net.iter_mut().zip(sums) {
                *e = (lambda * w_net * s - top).exp();
            }
        }
        DomainKernel {
            rate: self.knobs.rate[d],
            lambda,
            w_net,
            hedging: self.knobs.weight(d, Term::Hedging) != 0.0 && self.d > 1,
            exp_cost: (-lambda * self.knobs.cost[d]).exp(),
            exp_net,
        }
    }

    /// Synchronous revisions of cells `first..first + next.len()` (flat `[d*N + i]` indices), reading
    /// `self.align` and writing changed cells into `next`; one 64-bit draw per cell from `rng`.
    fn revise_cells(
        &self,
        first: usize,
        next: &mut [u8],
        step: usize,
        kernels: &[DomainKernel],
        rng: &mut Generator,
        switches: &mut [u64],
    ) {
        let n = self.n;
        let mut off = 0;
        while off < next.len() {
            // One domain's stretch of the block at a time.
            let cell0 = first + off;
            let (d, i0) = (cell0 / n, cell0 % n);
            let len = (n - i0).min(next.len() - off);
            let stretch = &mut next[off..off + len];
            // The common numbers of frameworks get a loop specialised to them.
            match self.k {
                2 => self.revise_stretch(2, d, i0, stretch, step, &kernels[d], rng, &mut switches[d]),
                3 => self.revise_stretch(3, d, i0, stretch, step, &kernels[d], rng, &mut switches[d]),
                4 => self.revise_stretch(4, d, i0, stretch, step, &kernels[d], rng, &mut switches[d]),
                k => self.revise_stretch(k, d, i0, stretch, step, &kernels[d], rng, &mut switches[d]),
            }
            off += len;
        }
    }

    /// [`Simulation::revise_cells`] for states `i0..i0 + next.len()` of domain `d`, with `k` the
    /// number of frameworks (inlined so that a constant `k` unrolls the per-framework loops).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn revise_stretch(
        &self,
        k: usize,
        d: usize,
        i0: usize,
        next: &mut [u8],
        step: usize,
        kern: &DomainKernel,
        rng: &mut Generator,
        switches: &mut u64,
    ) {
        let n = self.n;
        // Anchors, locks and blocs are rare: when there are none, no cell needs the check.
        let check = self.m.has_anchors || self.lock_max as usize > step || !self.in_bloc.is_empty();
        let revises = |cell: usize, x: u64| (!check || self.revises_alone(cell, step)) && unit32(x >> 32) < kern.rate;
        if !kern.lambda.is_finite() {
            // Best response may take extra draws for ties: one cell after the other.
            for (i, slot) in (i0..i0 + next.len()).zip(next.iter_mut()) {
                let x: u64 = rng.random();
                if revises(d * n + i, x) {
                    let cur = self.align[d * n + i] as usize;
                    let c = self.decide(k, d, i, cur, kern, unit32(x), rng);
                    *switches += u64::from(c != cur);
                    *slot = c as u8;
                }
            }
            return;
        }
        // With a finite lambda every cell takes exactly one draw. Batches of cells draw their words
        // in one go, list the cells that revise, then decide for those alone: the revision coin, a
        // fair coin at rho = 1/2, costs no mispredicted branch.
        let mut words = [0u64; LIST_BATCH];
        let mut listed = [0u16; LIST_BATCH];
        for (b, slots) in next.chunks_mut(LIST_BATCH).enumerate() {
            let first = i0 + b * LIST_BATCH;
            let words = &mut words[..slots.len()];
            rng.fill(words);
            // The listing of `list_where`, written out: through the helper this loop measured
            // 5-10% slower (best of ten alternating rounds), with the revision test inlined less well.
            let mut count = 0;
            for (t, &x) in words.iter().enumerate() {
                listed[count] = t as u16;
                count += usize::from(revises(d * n + first + t, x));
            }
            for &t in &listed[..count] {
                let (t, i) = (t as usize, first + t as usize);
                let cur = self.align[d * n + i] as usize;
                let c = self.decide(k, d, i, cur, kern, unit32(words[t]), rng);
                *switches += u64::from(c != cur);
                // `next` holds the current alignment until a cell moves: writing it back is harmless.
                slots[t] = c as u8;
            }
        }
    }

    /// The framework revising cell (d, i), now on `cur`, picks at uniform `v`: by the exp-free tables
    /// where they apply, otherwise by the exact rule on the full utilities.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn decide(&self, k: usize, d: usize, i: usize, cur: usize, kern: &DomainKernel, v: f64, rng: &mut Generator) -> usize {
        let cell = d * self.n + i;
        // Hedgers with an active hedging term need the exact utilities.
        if self.fast_logit() && (!kern.hedging || !self.m.hedgers[i]) {
            let packed = if kern.w_net == 0.0 {
                0
            } else if self.counts_fresh {
                // Kept up to date for these alignments.
                u64::from(self.partner_counts[cell])
            } else {
                self.count_partners(d, i)
            };
            let row = cell * k;
            if let Some(c) = table_choice(k, &self.exp_static[row..row + k], packed, self.count_bits, kern, cur, v) {
                return c;
            }
        }
        let mut u = [0.0; choice::MAX_FRAMEWORKS];
        self.utilities(&self.align, d, i, &mut u[..k]);
        choice::choose(&u[..k], cur, kern.lambda, v, rng)
    }

    /// State i's partners on each framework in domain d, packed in fields of `count_bits` bits
    /// (K <= 8 fields of at most 8 bits), gathered over its ties.
    fn count_partners(&self, d: usize, i: usize) -> u64 {
        let ties = &self.m.world.ties;
        let align = &self.align[d * self.n..(d + 1) * self.n];
        pack_counts(&ties.targets[ties.offsets[i]..ties.offsets[i + 1]], align, self.count_bits)
    }

    fn revise_sequential(&mut self, step: usize, rng: &mut Generator) {
        let (n, k) = (self.n, self.k);
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(0..n as u32);
        for j in (1..n).rev() {
            let r = rng.random_range(0..=j);
            order.swap(j, r);
        }
        let mut u = [0.0; choice::MAX_FRAMEWORKS];
        let mut align = std::mem::take(&mut self.align);
        for &i in &order {
            let i = i as usize;
            for d in 0..self.d {
                let x: u64 = rng.random();
                let cell = d * n + i;
                if !self.revises_alone(cell, step) || unit32(x >> 32) >= self.knobs.rate[d] {
                    continue;
                }
                self.utilities(&align, d, i, &mut u[..k]);
                let cur = align[cell] as usize;
                let c = choice::choose(&u[..k], cur, self.knobs.lambda, unit32(x), rng);
                if c != cur {
                    self.switches[d] += 1;
                    align[cell] = c as u8;
                }
            }
        }
        self.align = align;
        self.order = order;
    }

    /// Record year index `t`.
    pub fn record(&mut self, t: usize, out: &mut RunOutcome) {
        let (n, k) = (self.n, self.k);
        let l = self.m.layout;
        let world = &self.m.world;
        let mut frag_sum = 0.0;
        for d in 0..self.d {
            let row = &self.align[d * n..(d + 1) * n];
            let mut counts = [0u32; choice::MAX_FRAMEWORKS];
            for &a in row {
                counts[a as usize] += 1;
            }
            let out_shares = &mut self.gdp_share[d * k..(d + 1) * k];
            match &self.m.gdp_sums {
                Some(sums) => standards::gdp_shares_of_counts(&counts[..k], sums, self.m.total_gdp, out_shares),
                None => standards::gdp_shares(row, &world.gdp, self.m.total_gdp, out_shares),
            }
            for fw in 0..k {
                let idx = l.share_index(t, d, fw);
                out.counts[idx] = counts[fw];
                let share = self.gdp_share[d * k + fw];
                out.gdp_shares[idx] = share;
                let tip = &mut self.tip_state[d * k + fw];
                if t == 0 {
                    *tip = if share > 0.5 { 2 } else { 0 };
                } else if *tip == 0 && share > 0.5 {
                    *tip = 1;
                    out.tipping_year[d * k + fw] = Some(self.m.scenario.start + t as i32);
                }
            }
            let f = self.fragmentation(d);
            frag_sum += f;
            if t + 1 == l.years {
                out.fragmentation_final[d] = f;
            }
        }
        out.fragmentation[t] = frag_sum / self.d as f64;
        let mut div = 0.0;
        // With one domain or one framework every state's diversity is 0.
        if self.d > 1 && k > 1 {
            let mut per = [0u32; choice::MAX_FRAMEWORKS];
            for i in 0..n {
                per.iter_mut().for_each(|c| *c = 0);
                for d in 0..self.d {
                    per[self.align[d * n + i] as usize] += 1;
                }
                div += hedging::diversity(&per[..k], self.d);
            }
        }
        out.hedging[t] = div / n as f64;
        self.gdp_fresh = true;
        self.counts_fresh = !self.partner_counts.is_empty();
    }

    /// Trade-weighted share of partner pairs on different frameworks in one domain (branch-free sum
    /// over the ties with the precomputed weights of [`Model::frag_weight`]).
    fn fragmentation(&mut self, d: usize) -> f64 {
        let n = self.n;
        let ties = &self.m.world.ties;
        let row = &self.align[d * n..(d + 1) * n];
        let mut total = 0.0;
        if let Some(sums) = &self.m.frag_sums {
            // All weights equal: a state's sum is the table entry of its count of differing partners
            // (the same additions in the same order, so the same bits). With one tie weight, the
            // counts per framework are kept for next year's revisions, which read these alignments.
            let keep = !self.partner_counts.is_empty();
            let bits = self.count_bits;
            if keep && self.counts_fresh {
                let counts = &self.partner_counts[d * n..(d + 1) * n];
                for (i, (&own, &packed)) in row.iter().zip(counts).enumerate() {
                    let degree = (ties.offsets[i + 1] - ties.offsets[i]) as u32;
                    total += sums[(degree - field(packed.into(), own.into(), bits)) as usize];
                }
                return total;
            }
            for (i, &own) in row.iter().enumerate() {
                let (a, b) = (ties.offsets[i], ties.offsets[i + 1]);
                let apart = if keep {
                    // Fits in 32 bits, or the counts would not be kept.
                    let packed = pack_counts(&ties.targets[a..b], row, bits) as u32;
                    self.partner_counts[d * n + i] = packed;
                    (b - a) as u32 - field(packed.into(), own.into(), bits)
                } else {
                    ties.targets[a..b].iter().map(|&j| u32::from(row[j as usize] != own)).sum()
                };
                total += sums[apart as usize];
            }
            return total;
        }
        let fw = &self.m.frag_weight;
        let term = |i: usize| {
            let own = row[i];
            let (a, b) = (ties.offsets[i], ties.offsets[i + 1]);
            let mut apart = 0.0;
            for (&j, &w) in ties.targets[a..b].iter().zip(&fw[a..b]) {
                apart += w * f64::from(u8::from(row[j as usize] != own));
            }
            apart
        };
        // Each state's term is kept between records; only states that moved, and the states that
        // count them as partners, are recomputed (the same additions, so the same bits).
        if self.frag_apart.is_empty() {
            self.frag_apart = vec![0.0; n * self.d];
            self.frag_seen = vec![u8::MAX; n * self.d];
        }
        let apart = &mut self.frag_apart[d * n..(d + 1) * n];
        let seen = &mut self.frag_seen[d * n..(d + 1) * n];
        // Marks, not a list: a state that many others trade with would otherwise be listed many times.
        let dirty = &mut self.frag_dirty;
        dirty.clear();
        dirty.resize(n, 0);
        let (ins, srcs) = (&self.m.in_offsets, &self.m.in_sources);
        for (j, (&now, was)) in row.iter().zip(seen.iter_mut()).enumerate() {
            if now != *was {
                *was = now;
                dirty[j] = 1;
                for &i in &srcs[ins[j]..ins[j + 1]] {
                    dirty[i as usize] = 1;
                }
            }
        }
        for (i, (a, &flag)) in apart.iter_mut().zip(dirty.iter()).enumerate() {
            if flag != 0 {
                *a = term(i);
            }
        }
        for &a in apart.iter() {
            total += a;
        }
        total
    }

    /// Horizon-only outcomes.
    pub fn finish(&self, out: &mut RunOutcome) {
        let (n, k) = (self.n, self.k);
        let world = &self.m.world;
        for d in 0..self.d {
            for i in 0..n {
                out.pop_shares[d * k + self.align[d * n + i] as usize] += world.population[i];
            }
        }
        if self.m.total_population > 0.0 {
            out.pop_shares.iter_mut().for_each(|x| *x /= self.m.total_population);
        }
        for i in 0..n {
            let first = self.align[i];
            if (1..self.d).all(|d| self.align[d * n + i] == first) {
                out.bloc[first as usize] += 1.0;
            }
        }
        out.bloc.iter_mut().for_each(|x| *x /= n as f64);
        out.switches.copy_from_slice(&self.switches);
        out.final_alignment = self.align.clone();
    }
}

/// The logit choice of a cell without calling exp: with every tie of one weight, the network share
/// of framework f is a function of the integer count c_f of partners on f (field f of `packed`,
/// `bits` wide), so
/// exp(lambda U_f) = `exp_static[f]` · exp_net[c_f] · (exp_cost if f ≠ `cur`). Picks the first f
/// whose cumulative weight exceeds `v` times the total, counting instead of branching (the weights
/// are non-negative, so the cumulative sums only grow). `None` when the total underflows (extreme
/// lambda), leaving the choice to the exact path.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn table_choice(k: usize, exp_static: &[f64], packed: u64, bits: u32, kern: &DomainKernel, cur: usize, v: f64) -> Option<usize> {
    let mut w = [0.0; choice::MAX_FRAMEWORKS];
    let mut total = 0.0;
    for fw in 0..k {
        let c = field(packed, fw, bits) as usize;
        // Multiplying by 1.0 is exact: the same bits as skipping the factor.
        let x = exp_static[fw] * kern.exp_net[c] * if fw != cur { kern.exp_cost } else { 1.0 };
        w[fw] = x;
        total += x;
    }
    if !(total > MIN_TABLE_TOTAL && total.is_finite()) {
        return None;
    }
    let target = v * total;
    let mut acc = 0.0;
    let mut below = 0;
    for &x in &w[..k] {
        acc += x;
        below += usize::from(acc <= target);
    }
    if below < k {
        Some(below)
    } else {
        w[..k].iter().rposition(|&x| x > 0.0)
    }
}

/// Field `f` (`bits` wide, from bit f·bits) of a packed count of partners per framework.
#[inline(always)]
fn field(packed: u64, f: usize, bits: u32) -> u32 {
    ((packed >> (bits * f as u32)) & ((1u64 << bits) - 1)) as u32
}

/// Cells or states per batch of [`list_where`].
const LIST_BATCH: usize = 256;

/// List into `out` the positions of the `true` values of `keep` (at most [`LIST_BATCH`] values),
/// and return how many, without a branch per position: the conditions listed here (a revision
/// coin, whether a state moved) are close to coin flips, which a branch would often mispredict.
#[inline(always)]
fn list_where(keep: impl Iterator<Item = bool>, out: &mut [u16; LIST_BATCH]) -> usize {
    let mut count = 0;
    for (t, k) in keep.take(LIST_BATCH).enumerate() {
        out[count] = t as u16;
        count += usize::from(k);
    }
    count
}

/// Count the alignments in `row` of the partners `targets` per framework, framework f in the field
/// of `bits` bits at bit f·bits (every count fits its field: see [`Model::count_bits`]).
#[inline]
fn pack_counts(targets: &[u32], row: &[u8], bits: u32) -> u64 {
    let mut packed = 0u64;
    for &j in targets {
        packed += 1u64 << (bits * u32::from(row[j as usize]));
    }
    packed
}

/// Inverse-CDF pick of an index from probabilities `shares` at `v` ∈ [0, 1).
fn pick(shares: &[f64], v: f64) -> usize {
    let mut acc = 0.0;
    for (k, &s) in shares.iter().enumerate() {
        acc += s;
        if v < acc {
            return k;
        }
    }
    shares.iter().rposition(|&s| s > 0.0).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scenario;

    /// A logit-network world (synthetic, one tie weight) with `k` frameworks, two domains, and an
    /// optional forced move in year 4.
    fn network_model(k: usize, revision: &str, force: bool) -> Model {
        let names: Vec<String> = (0..k).map(|f| format!("F{f}")).collect();
        let shares: Vec<String> = names.iter().map(|f| format!("{f} = {}", 1.0 / k as f64)).collect();
        let quoted: Vec<String> = names.iter().map(|f| format!("\"{f}\"")).collect();
        let mut text = format!(
            r#"
name = "counts"
frameworks = [{}]
domains = ["x", "y"]
[time]
start = 0
end = 9
[world]
source = "synthetic"
[world.synthetic]
agents = 3000
degree = 16
seed = 3
[choice]
lambda = 1.5
revision = "{revision}"
[utility]
affinity = 1.0
network = 2.5
[heterogeneity]
distribution = "uniform"
scale = 1.0
[domain.x]
revision_rate = 0.5
switching_cost = 0.2
initial = [{{ states = ["all"], shares = {{ {} }} }}]
[domain.y]
revision_rate = 0.3
switching_cost = 0.0
initial = [{{ states = ["all"], shares = {{ {} }} }}]
"#,
            quoted.join(", "),
            shares.join(", "),
            shares.join(", ")
        );
        if force {
            text.push_str(
                r#"
[[event]]
kind = "force"
year = 4
framework = "F1"
domains = ["x"]
states = ["S0001", "S0002", "S0003", "S0500", "S2999"]
lock_years = 2
"#,
            );
        }
        Model::from_scenario(Scenario::from_str("counts.toml", &text).unwrap()).unwrap()
    }

    /// Partner counts as a fresh pass over every tie gives them.
    fn gathered(sim: &Simulation) -> Vec<u32> {
        (0..sim.d)
            .flat_map(|d| (0..sim.n).map(move |i| (d, i)))
            .map(|(d, i)| sim.count_partners(d, i) as u32)
            .collect()
    }

    #[test]
    fn kept_partner_counts_equal_a_fresh_count_every_year() {
        for (k, revision, force) in [
            (3, "synchronous", false),
            (3, "synchronous", true),
            (5, "synchronous", true),
            (3, "sequential", false),
        ] {
            let m = network_model(k, revision, force);
            let mut sim = Simulation::new(&m, &[], &mut run_rng(1, 0, Purpose::Setup));
            let mut out = sim.empty_outcome(0, Vec::new());
            sim.record(0, &mut out);
            let mut rng = run_rng(1, 0, Purpose::Dynamics);
            let mut kept_years = 0;
            for step in 1..m.layout.years {
                let before = sim.align.clone();
                sim.step(step, &mut rng);
                assert_ne!(before, sim.align, "k = {k}, {revision}: some state must move in year {step}");
                if sim.counts_fresh {
                    kept_years += 1;
                    assert_eq!(
                        sim.partner_counts,
                        gathered(&sim),
                        "k = {k}, {revision}, force {force}, year {step}"
                    );
                    // The index from the kept counts has the bits of the index from every tie.
                    let kept: Vec<u64> = (0..sim.d).map(|d| sim.fragmentation(d).to_bits()).collect();
                    sim.counts_fresh = false;
                    let fresh: Vec<u64> = (0..sim.d).map(|d| sim.fragmentation(d).to_bits()).collect();
                    assert_eq!(kept, fresh);
                    sim.counts_fresh = true;
                }
                sim.record(step, &mut out);
                assert!(sim.counts_fresh, "a record leaves the counts describing the alignments");
                assert_eq!(sim.partner_counts, gathered(&sim));
            }
            // Synchronous revisions keep the counts, except in the year of the forced move;
            // sequential ones leave them to the record.
            let expected = match (revision, force) {
                ("sequential", _) => 0,
                (_, false) => m.layout.years - 1,
                (_, true) => m.layout.years - 2,
            };
            assert_eq!(kept_years, expected, "k = {k}, {revision}, force {force}");
        }
    }

    #[test]
    fn keeping_partner_counts_changes_no_result() {
        for (k, force) in [(3, true), (5, false)] {
            let m = network_model(k, "synchronous", force);
            let mut kept = Simulation::new(&m, &[], &mut run_rng(4, 1, Purpose::Setup));
            let mut plain = Simulation::new(&m, &[], &mut run_rng(4, 1, Purpose::Setup));
            // Without kept counts, revisions gather each reviser's partners and the index reads every tie.
            plain.partner_counts = Vec::new();
            let (mut out_kept, mut out_plain) = (kept.empty_outcome(1, Vec::new()), plain.empty_outcome(1, Vec::new()));
            kept.record(0, &mut out_kept);
            plain.record(0, &mut out_plain);
            let (mut rng_kept, mut rng_plain) = (run_rng(4, 1, Purpose::Dynamics), run_rng(4, 1, Purpose::Dynamics));
            for step in 1..m.layout.years {
                kept.step(step, &mut rng_kept);
                plain.step(step, &mut rng_plain);
                assert_eq!(kept.align, plain.align, "k = {k}, year {step}");
                kept.record(step, &mut out_kept);
                plain.record(step, &mut out_plain);
            }
            let bits = |o: &RunOutcome| o.fragmentation.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&out_kept), bits(&out_plain));
            assert!(!plain.counts_fresh && kept.counts_fresh);
        }
    }

    #[test]
    fn counts_wider_than_32_bits_are_not_kept() {
        // 7 frameworks of 5-bit fields (degree 16) need 35 bits.
        let m = network_model(7, "synchronous", false);
        assert_eq!(m.count_bits, 5);
        assert!(
            Simulation::new(&m, &[], &mut run_rng(1, 0, Purpose::Setup))
                .partner_counts
                .is_empty()
        );
        let m = network_model(6, "synchronous", false);
        assert_eq!(
            Simulation::new(&m, &[], &mut run_rng(1, 0, Purpose::Setup)).partner_counts.len(),
            2 * 3000
        );
    }

    #[test]
    fn pick_inverts_the_cdf() {
        assert_eq!(pick(&[0.2, 0.3, 0.5], 0.1), 0);
        assert_eq!(pick(&[0.2, 0.3, 0.5], 0.2), 1);
        assert_eq!(pick(&[0.2, 0.3, 0.5], 0.99), 2);
        assert_eq!(pick(&[0.0, 1.0, 0.0], 0.9999999), 1);
    }
}
