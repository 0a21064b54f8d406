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
//!
//! One file per part of a run, each owning its state and the flag that says whether that state
//! still describes the current alignments:
//!
//! | file | part | state |
//! |------|------|-------|
//! | [`events`] | events: `set`, partnerships, export controls, forced moves, blocs | [`events::EventState`] |
//! | [`sponsors`] | sponsors' yearly investment | [`sponsors::Stocks`] |
//! | [`statics`] | the utility terms that do not depend on this year's choices | [`statics::Statics`] |
//! | [`counts`] | each state's partners per framework, kept up to date by the moves | [`counts::PartnerCounts`] |
//! | [`kernels`] | the revisions: synchronous, sequential, table-driven or exact choice | — |
//! | [`blocs`] | joint decisions of coordinating blocs | — |
//! | [`record`] | the yearly record and the horizon outcomes | [`record::Recorder`] |

mod blocs;
mod counts;
mod events;
mod kernels;
mod record;
mod sponsors;
mod statics;

use crate::metrics::RunOutcome;
use crate::model::utility::TermInputs;
use crate::model::{Knobs, Model, NO_ANCHOR};
use crate::rng::{Generator, Purpose, RunRng, for_each_unit, in_positioned_blocks, run_rng};
use crate::scenario::{Revision, Term};

use counts::PartnerCounts;

/// Cells (or tastes) per block of the set-up's positioned draws.
const SETUP_BLOCK: usize = 16 * 1024;
use events::EventState;
use record::Recorder;
use sponsors::Stocks;
use statics::Statics;

/// Run `run` of the batch seeded with `seed`.
pub fn run_one(model: &Model, seed: u64, run: u64) -> RunOutcome {
    run_timed(model, seed, run, 1).0
}

/// [`run_one`] splitting the run's own yearly work (partner counts, record) into `parts` ranges of
/// states for the threads of the current pool: worth it when runs are fewer than threads. The
/// outcome is the same whatever `parts`.
pub fn run_within(model: &Model, seed: u64, run: u64, parts: usize) -> RunOutcome {
    run_timed(model, seed, run, parts).0
}

/// The parts into which each of `runs` runs on `threads` threads splits its own work: the threads
/// left idle by the runs, shared among them.
pub fn parts_per_run(threads: usize, runs: u64) -> usize {
    if runs == 0 || runs >= threads as u64 {
        1
    } else {
        threads / runs as usize
    }
}

/// [`run_one`], also returning the seconds spent setting the run up (parameter draws,
/// heterogeneity, initial alignments, first record) and simulating its steps (with their records);
/// `parts` as for [`run_within`].
pub fn run_timed(model: &Model, seed: u64, run: u64, parts: usize) -> (RunOutcome, f64, f64) {
    drive(model, seed, run, parts, |_| {})
}

/// [`run_one`], also handing `each_year` the alignments of every cell (`[d*N + i]`) once recorded,
/// from the initial year to the horizon: one run to watch year by year.
pub fn run_watched(model: &Model, seed: u64, run: u64, each_year: impl FnMut(&[u8])) -> RunOutcome {
    drive(model, seed, run, 1, each_year).0
}

/// The run itself, for [`run_timed`] and [`run_watched`].
fn drive(model: &Model, seed: u64, run: u64, parts: usize, each_year: impl FnMut(&[u8])) -> (RunOutcome, f64, f64) {
    if parts > 1 {
        // The run's parallel phases are short and many: the idle threads wait for them awake.
        return crate::pool::kept_awake(|| drive_in(model, seed, run, parts, each_year));
    }
    drive_in(model, seed, run, parts, each_year)
}

/// [`drive`] on this thread.
fn drive_in(model: &Model, seed: u64, run: u64, parts: usize, mut each_year: impl FnMut(&[u8])) -> (RunOutcome, f64, f64) {
    let t0 = std::time::Instant::now();
    let draws = model.scenario.draws(seed, run);
    let mut sim = Simulation::in_parts(model, &draws, &mut run_rng(seed, run, Purpose::Setup), parts);
    let mut outcome = sim.empty_outcome(run, draws);
    sim.record(0, &mut outcome);
    each_year(&sim.align);
    let t1 = std::time::Instant::now();
    let mut rng = run_rng(seed, run, Purpose::Dynamics);
    for step in 1..model.layout.years {
        sim.step(step, &mut rng);
        sim.record(step, &mut outcome);
        each_year(&sim.align);
    }
    sim.finish(&mut outcome);
    let t2 = std::time::Instant::now();
    (outcome, (t1 - t0).as_secs_f64(), (t2 - t1).as_secs_f64())
}

/// The mutable state of one run. Cell arrays are indexed `[d*N + i]`, per-cell framework arrays
/// `[(d*N + i)*K + k]`, per-state framework arrays `[i*K + k]`.
pub struct Simulation<'m> {
    m: &'m Model,
    n: usize,
    d: usize,
    k: usize,
    knobs: Knobs,
    align: Vec<u8>,
    /// Scratch for the alignments of the next year (synchronous revision).
    next: Vec<u8>,
    /// A_ik before weighting: freedom closeness, group bonuses and heterogeneity.
    affinity: Vec<f64>,
    /// S_ik before weighting (empty without security groups: every value 0).
    security: Vec<f64>,
    events: EventState,
    stocks: Stocks,
    statics: Statics,
    counts: PartnerCounts,
    recorder: Recorder,
    /// Alignment changes made by revising states, per domain.
    switches: Vec<u64>,
    /// Scratch for the order of sequential revisions.
    order: Vec<u32>,
    /// Each cell's revision rate `[d*N + i]` when the scenario has rate covariates (`[rate]`),
    /// refreshed every step from the knobs; empty otherwise (every cell has its domain's rate).
    rates: Vec<f64>,
    /// Ranges of states into which the yearly partner-count update and record split their work
    /// (1: one range; see [`run_within`]). Integer results, so outputs do not depend on it.
    parts: usize,
}

impl<'m> Simulation<'m> {
    /// Bytes of one run in progress with these sizes: alignments and next year's, tastes (A, and S
    /// with security groups), on worlds with one tie weight the exp factors of the static part
    /// (`static_rows` per state) and the packed partner counts, elsewhere the fragmentation terms
    /// per cell; static utilities unless the run is lean; investment stocks, partnership bonuses
    /// and export penalties when the scenario has them; rates with covariates; event state; the
    /// outcome being filled. Exact for synthetic worlds without events, sponsors or covariates
    /// (see the tests of `footprint`) apart from a few short arrays; an upper bound elsewhere.
    pub fn footprint(sizes: &crate::limits::Sizes) -> u64 {
        use crate::limits::{mul, sat_sum};
        let (n, d, k) = (sizes.agents, sizes.domains, sizes.frameworks);
        let flag = u64::from;
        let (uniform, extra_cell_arrays) = (sizes.uniform_ties, sizes.cell_arrays.max(1) - 1);
        let lean = uniform && extra_cell_arrays == 0;
        let events = flag(sizes.events > 0);
        sat_sum(&[
            mul(&[n, d, 2]),
            mul(&[n, k, 8, 1 + flag(sizes.security)]),
            mul(&[n, k, 8, sizes.static_rows.min(d), flag(uniform)]),
            mul(&[n, d, 4, flag(uniform)]),
            mul(&[sat_sum(&[mul(&[n, d, 9]), n]), flag(!uniform)]),
            // Weighted worlds: an allowance of K f64 per cell for scratch (sponsors' allocation
            // weights, the exact path's utilities), checked on the real world by the tests.
            mul(&[n, d, k, 8, flag(!uniform)]),
            mul(&[n, d, k, 8, flag(!lean)]),
            mul(&[n, d, k, 8, extra_cell_arrays]),
            mul(&[n, d, 8, flag(sizes.rate_covariates > 0)]),
            mul(&[sat_sum(&[mul(&[n, d, 5]), mul(&[sizes.events, 32])]), events]),
            RunOutcome::footprint(sizes),
        ])
    }

    /// Set up a run: realised parameters, heterogeneity, initial alignments.
    pub fn new(m: &'m Model, draws: &[f64], setup: &mut Generator) -> Self {
        Simulation::in_parts(m, draws, setup, 1)
    }

    /// [`Simulation::new`] with its yearly work split into `parts` ranges of states (see
    /// [`run_within`]); the set-up's draws, each a fixed number of words of `setup`, are then taken
    /// in positioned blocks on several threads. The same simulation whatever `parts`.
    pub fn in_parts(m: &'m Model, draws: &[f64], setup: &mut Generator, parts: usize) -> Self {
        let s = &m.scenario;
        let (n, d, k) = (m.layout.states, m.layout.domains, m.layout.frameworks);
        let knobs = Knobs::realize(s, draws);
        let parallel = parts > 1;

        let (aff, sec) = m.tastes(draws, setup, parallel);

        // One 64-bit draw per cell, anchored or not.
        let mut align = vec![0u8; n * d];
        in_positioned_blocks(setup, &mut align, 2, SETUP_BLOCK, parallel, |first, block, r| {
            for (d, _, cells) in domain_stretches(first, block.len(), n) {
                let initial = &s.domain_specs[d].initial;
                let mut cell = first + cells.start;
                for_each_unit(r, &mut block[cells], 1, |a, v| {
                    *a = if m.anchor[cell] != NO_ANCHOR {
                        m.anchor[cell]
                    } else {
                        pick(&initial[m.initial_rule[cell] as usize].shares, v) as u8
                    };
                    cell += 1;
                });
            }
        });
        let mut sim = Simulation {
            m,
            n,
            d,
            k,
            knobs,
            next: align.clone(),
            align,
            affinity: aff,
            security: sec,
            events: EventState::new(m),
            stocks: Stocks::new(m),
            statics: Statics::new(m),
            counts: PartnerCounts::new(m),
            recorder: Recorder::new(m),
            switches: vec![0; d],
            order: Vec::new(),
            rates: if m.rate_z.is_empty() { Vec::new() } else { vec![0.0; n * d] },
            parts: parts.max(1),
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

    /// Replace the alignment of every cell (`[d*N + i]`; anchored cells must hold their anchor),
    /// e.g. with an observed state: what is derived from the alignments is recomputed next step.
    pub fn set_alignment(&mut self, align: &[u8]) {
        assert_eq!(align.len(), self.align.len(), "one framework per cell");
        self.settle_fragmentation();
        self.recorder.tallied = None;
        self.align.copy_from_slice(align);
        self.next.copy_from_slice(align);
        self.counts.fresh = false;
        self.statics.gdp_fresh = false;
        self.statics.fresh = false;
    }

    /// Replace the affinity of every state and framework (`[i*K + k]`, before weighting), e.g. with
    /// a group bonus dated by observed designations; the static utilities are recomputed next step.
    pub fn set_affinity(&mut self, affinity: &[f64]) {
        assert_eq!(affinity.len(), self.affinity.len(), "one affinity per state and framework");
        self.affinity.copy_from_slice(affinity);
        self.statics.fresh = false;
    }

    /// The run's parameter values as they stand (events may have changed them).
    pub fn knobs(&self) -> &Knobs {
        &self.knobs
    }

    /// What the utility terms read now; with [`TermInputs::features`] it gives the value of every
    /// term at any alignment state, computed by the code the revisions use.
    pub fn term_inputs(&self) -> TermInputs<'_> {
        TermInputs {
            model: self.m,
            knobs: &self.knobs,
            affinity: &self.affinity,
            security: &self.security,
            partnership: &self.events.partnership,
            export: &self.events.export,
            stock: &self.stocks.stock,
            gdp_share: &self.statics.gdp_share,
        }
    }

    /// Simulate one year.
    pub fn step(&mut self, step: usize, rng: &mut Generator) {
        rng.at_step(step as u32);
        // Set again only by revisions in blocks, should nothing move a state after them.
        self.recorder.tallied = None;
        if self.apply_events(step) {
            self.statics.fresh = false;
        }
        if self.m.has_sponsors {
            self.invest();
            self.statics.fresh = false;
        }
        // The standards pull reads last year's GDP shares, which this year's moves change (lean
        // runs read it as a factor per domain, outside the static part).
        if (0..self.d).any(|d| self.knobs.weight(d, Term::Standards) != 0.0) {
            self.statics.fresh &= self.statics.lean;
            self.refresh_gdp_shares();
        }
        if !self.statics.fresh {
            self.refresh_static();
        }
        if !self.rates.is_empty() {
            crate::model::rate::cell_rates(&self.knobs.rate, &self.knobs.rate_coef, &self.m.rate_z, self.n, &mut self.rates);
        }
        match self.m.scenario.revision {
            // Keeps the partner counts up to date when they were.
            Revision::Synchronous => self.revise_synchronous(step, rng),
            Revision::Sequential => {
                self.revise_sequential(step, rng);
                self.counts.fresh = false;
            }
        }
        if self.events.coordinating.iter().any(|&c| c) {
            self.revise_blocs(step, rng);
            self.counts.fresh = false;
            self.recorder.tallied = None;
        }
        self.statics.gdp_fresh = false;
    }

    /// The probability that cell `d*N + i` reconsiders this year.
    #[inline]
    fn rate_of(&self, cell: usize, d: usize) -> f64 {
        if self.rates.is_empty() {
            self.knobs.rate[d]
        } else {
            self.rates[cell]
        }
    }

    /// Whether a cell may revise at this step: not anchored and not locked by a forced move.
    #[inline]
    fn may_revise(&self, cell: usize, step: usize) -> bool {
        self.m.anchor[cell] == NO_ANCHOR && self.events.locked_until.get(cell).is_none_or(|&u| u as usize <= step)
    }

    /// Whether a cell revises on its own this step (not anchored, not locked, not in a bloc).
    #[inline]
    fn revises_alone(&self, cell: usize, step: usize) -> bool {
        self.may_revise(cell, step) && !self.events.in_bloc.get(cell).copied().unwrap_or(false)
    }
}

/// The cells `first..first + len` (flat `[d*N + i]`, `n` states per domain) cut where a domain
/// ends: per stretch its domain, its first state, and its place among those cells.
fn domain_stretches(first: usize, len: usize, n: usize) -> impl Iterator<Item = (usize, usize, std::ops::Range<usize>)> {
    let mut off = 0;
    std::iter::from_fn(move || {
        (off < len).then(|| {
            let (d, i0) = ((first + off) / n, (first + off) % n);
            let end = off + (n - i0).min(len - off);
            let stretch = (d, i0, off..end);
            off = end;
            stretch
        })
    })
}

/// Inverse-CDF pick of an index from probabilities `shares` at `v` ∈ [0, 1): the first k whose
/// cumulative share exceeds v, else (shares summing to a little under 1) the last positive share.
/// The cumulative shares only rise (shares are probabilities), so the first k is the number of
/// them at or below v: counted without a branch, since which k a uniform v falls in is a coin
/// toss that a branch per share would often mispredict.
fn pick(shares: &[f64], v: f64) -> usize {
    let (mut acc, mut below) = (0.0, 0);
    for &s in shares {
        acc += s;
        below += usize::from(acc <= v);
    }
    if below < shares.len() {
        below
    } else {
        shares.iter().rposition(|&s| s > 0.0).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scenario;
    use crate::model::choice;

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
                if sim.counts.fresh {
                    kept_years += 1;
                    assert_eq!(sim.counts.packed, gathered(&sim), "k = {k}, {revision}, force {force}, year {step}");
                    // The index from the kept counts has the bits of the index from every tie.
                    let kept: Vec<u64> = (0..sim.d).map(|d| sim.fragmentation(d).to_bits()).collect();
                    sim.counts.fresh = false;
                    let fresh: Vec<u64> = (0..sim.d).map(|d| sim.fragmentation(d).to_bits()).collect();
                    assert_eq!(kept, fresh);
                    sim.counts.fresh = true;
                }
                sim.record(step, &mut out);
                assert!(sim.counts.fresh, "a record leaves the counts describing the alignments");
                assert_eq!(sim.counts.packed, gathered(&sim));
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
            plain.counts.packed = Vec::new();
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
            assert!(!plain.counts.fresh && kept.counts.fresh);
        }
    }

    #[test]
    fn counts_wider_than_32_bits_are_not_kept() {
        // 7 frameworks of 5-bit fields (degree 16) need 35 bits.
        let m = network_model(7, "synchronous", false);
        assert_eq!(m.count_bits, 5);
        assert!(
            Simulation::new(&m, &[], &mut run_rng(1, 0, Purpose::Setup))
                .counts
                .packed
                .is_empty()
        );
        let m = network_model(6, "synchronous", false);
        assert_eq!(
            Simulation::new(&m, &[], &mut run_rng(1, 0, Purpose::Setup)).counts.packed.len(),
            2 * 3000
        );
    }

    /// The baseline with partnership and export-control events, investment and hedging, run to year 8.
    /// The splinternet scenario, with framework constants (one of them uncertain) so that the
    /// utilities below include them.
    fn baseline_at_year_8() -> Model {
        let sets = [
            "domain.telecom.constants.CN=0.4".to_string(),
            "domain.cloud.constants={ US = -0.3, CN = { dist = \"uniform\", low = 0.1, high = 0.5 } }".to_string(),
        ];
        Model::from_scenario(Scenario::load("splinternet", &sets).unwrap()).unwrap()
    }

    #[test]
    fn features_times_weights_give_the_utilities_the_run_uses() {
        let m = baseline_at_year_8();
        let draws = m.scenario.draws(3, 0);
        let mut sim = Simulation::new(&m, &draws, &mut run_rng(3, 0, Purpose::Setup));
        let mut rng = run_rng(3, 0, Purpose::Dynamics);
        for step in 1..=8 {
            sim.step(step, &mut rng);
        }
        sim.refresh_static();
        let (n, k) = (sim.n, sim.k);
        assert!(!sim.events.partnership.is_empty() || !sim.events.export.is_empty() || !sim.stocks.stock.is_empty());
        let mut u = [0.0; crate::model::choice::MAX_FRAMEWORKS];
        let mut checked = 0;
        for d in 0..sim.d {
            let w = crate::model::utility::weights(&sim.knobs, d);
            let f = sim.term_inputs().features(&sim.align, d);
            for i in 0..n {
                sim.utilities(&w, &sim.align, d, i, &mut u[..k]);
                for (fw, &x) in u[..k].iter().enumerate() {
                    let y = f.utility(&w, sim.knobs.cost[d], i, fw);
                    assert!(
                        (x - y).abs() <= 1e-12 * (1.0 + x.abs()),
                        "d {d}, state {i}, framework {fw}: run {x}, features {y}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, n * sim.d * k);
    }

    #[test]
    fn the_static_utility_is_the_weighted_sum_of_every_term_not_read_at_choices() {
        use crate::model::utility::{REGISTRY, Varies};
        let m = baseline_at_year_8();
        let mut sim = Simulation::new(&m, &vec![1.5; m.scenario.uncertain.len()], &mut run_rng(3, 0, Purpose::Setup));
        let mut rng = run_rng(3, 0, Purpose::Dynamics);
        for step in 1..=8 {
            sim.step(step, &mut rng);
        }
        // One term at a time, weight 1: the static part must be that term's value plus the offset
        // and the constant.
        for def in REGISTRY.iter().filter(|d| d.varies != Varies::WithChoices) {
            let mut w = [0.0; crate::scenario::TERMS];
            w[def.term as usize] = 1.0;
            let inputs = sim.term_inputs();
            for d in 0..sim.d {
                let f = inputs.features(&sim.align, d);
                let global: Vec<f64> = (0..sim.k).map(|fw| inputs.standards_pull(&w, d, fw)).collect();
                let mut row = vec![0.0; sim.k];
                for i in 0..sim.n {
                    inputs.static_row(&w, &global, d, i, &mut row);
                    for (fw, &got) in row.iter().enumerate() {
                        let want = f.value(def.term, i, fw) + f.offset[i * sim.k + fw] + f.constant[fw];
                        assert!(
                            (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
                            "{:?}: d {d}, state {i}: {got} vs {want}",
                            def.term
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_replaced_alignment_is_all_the_next_step_reads() {
        // One run replaces its alignment after year 1; its twin starts from that alignment. The
        // draws of a year depend on the step only, and this world has no sponsors or events, so
        // year 2 must agree cell by cell unless something derived from the old alignment survived.
        for revision in ["synchronous", "sequential"] {
            let m = network_model(3, revision, false);
            let start: Vec<u8> = (0..m.layout.states * m.layout.domains).map(|c| (c * 7 % 3) as u8).collect();
            let mut replaced = Simulation::new(&m, &[], &mut run_rng(2, 0, Purpose::Setup));
            let mut out = replaced.empty_outcome(0, Vec::new());
            replaced.record(0, &mut out);
            replaced.step(1, &mut run_rng(2, 0, Purpose::Dynamics));
            replaced.record(1, &mut out);
            assert_ne!(replaced.alignment(), &start[..]);
            replaced.set_alignment(&start);
            let mut twin = Simulation::new(&m, &[], &mut run_rng(2, 0, Purpose::Setup));
            twin.set_alignment(&start);
            replaced.step(2, &mut run_rng(2, 0, Purpose::Dynamics));
            twin.step(2, &mut run_rng(2, 0, Purpose::Dynamics));
            assert_eq!(replaced.alignment(), twin.alignment(), "{revision}");
            replaced.record(2, &mut out);
            assert_eq!(replaced.counts.packed, gathered(&replaced), "{revision}");
        }
    }

    #[test]
    fn counts_split_over_parts_equal_a_fresh_count_and_change_no_outcome() {
        let m = network_model(3, "synchronous", true);
        let outcome = |parts: usize| {
            let mut sim = Simulation::new(&m, &[], &mut run_rng(5, 0, Purpose::Setup));
            sim.parts = parts;
            let mut out = sim.empty_outcome(0, Vec::new());
            sim.record(0, &mut out);
            let mut rng = run_rng(5, 0, Purpose::Dynamics);
            for step in 1..m.layout.years {
                sim.step(step, &mut rng);
                if sim.counts.fresh {
                    assert_eq!(sim.counts.packed, gathered(&sim), "{parts} parts, year {step}");
                }
                sim.record(step, &mut out);
            }
            assert!(sim.counts.scratch.iter().all(|&c| c == 0), "scratch left clear");
            assert_eq!(sim.counts.scratch.len(), (parts - 1) * sim.n * sim.d);
            sim.finish(&mut out);
            (
                out.final_alignment,
                out.counts,
                out.fragmentation.iter().map(|f| f.to_bits()).collect::<Vec<_>>(),
            )
        };
        let one = outcome(1);
        for parts in [2, 3, 7] {
            assert_eq!(outcome(parts), one, "{parts} parts");
        }
    }

    #[test]
    fn the_record_counts_the_alignments_it_describes() {
        // 20,000 states in two domains: the revisions run in blocks, which count their cells on each
        // framework for the record. A forced move before them (year 2) keeps that tally; a bloc's
        // joint decisions after them (from year 4) and alignments replaced (year 3) must not be read
        // from it.
        let mut text = String::from("name = \"t\"\nframeworks = [\"A\", \"B\", \"C\"]\ndomains = [\"x\", \"y\"]\n");
        text.push_str(
            "[time]\nstart = 0\nend = 6\n[world]\nsource = \"synthetic\"\n[world.synthetic]\nagents = 20000\ndegree = 6\nseed = 4\n",
        );
        text.push_str("[choice]\nlambda = 1.5\nrevision = \"synchronous\"\n[utility]\naffinity = 1.0\nnetwork = 2.5\n");
        text.push_str("[heterogeneity]\ndistribution = \"uniform\"\nscale = 1.0\n");
        for d in ["x", "y"] {
            text.push_str(&format!("[domain.{d}]\nrevision_rate = 0.5\nswitching_cost = 0.2\n"));
            text.push_str("initial = [{ states = [\"all\"], shares = { A = 0.4, B = 0.3, C = 0.3 } }]\n");
        }
        text.push_str("[[event]]\nkind = \"force\"\nyear = 2\nframework = \"A\"\ndomains = [\"x\"]\nstates = [\"S00001\", \"S00002\", \"S19999\"]\nlock_years = 1\n");
        text.push_str(
            "[[event]]\nkind = \"coordinate\"\nyear = 4\nstates = [\"S00010\", \"S00011\", \"S00012\"]\ndomains = [\"x\", \"y\"]\n",
        );
        let m = Model::from_scenario(Scenario::from_str("t.toml", &text).unwrap()).unwrap();
        let recount = |sim: &Simulation| -> Vec<u32> {
            let (n, k) = (sim.n, sim.k);
            (0..sim.d * k)
                .map(|c| {
                    sim.align[c / k * n..(c / k + 1) * n]
                        .iter()
                        .filter(|&&a| a as usize == c % k)
                        .count() as u32
                })
                .collect()
        };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        for parts in [1, 2] {
            pool.install(|| {
                let mut sim = Simulation::in_parts(&m, &[], &mut run_rng(2, 0, Purpose::Setup), parts);
                let mut out = sim.empty_outcome(0, Vec::new());
                let mut rng = run_rng(2, 0, Purpose::Dynamics);
                let (years, share) = (m.layout.years, |t: usize| m.layout.share_index(t, 0, 0));
                for step in 0..years {
                    if step > 0 {
                        sim.step(step, &mut rng);
                        assert_eq!(sim.recorder.tallied.is_some(), step < 4, "{parts} parts, year {step}");
                    }
                    if step == 3 {
                        let flipped: Vec<u8> = sim.alignment().iter().map(|&a| (a + 1) % 3).collect();
                        sim.set_alignment(&flipped);
                    }
                    let want = recount(&sim);
                    sim.record(step, &mut out);
                    assert_eq!(
                        &out.counts[share(step)..share(step) + want.len()],
                        &want[..],
                        "{parts} parts, year {step}"
                    );
                }
            });
        }
    }

    /// The benchmark model (degree 6), or five-domains, with `agents` states: enough cells for the
    /// revisions in blocks.
    fn block_model(agents: usize, domains: bool) -> Model {
        let mut sets = vec![format!("world.synthetic.agents={agents}"), "time.end=6".to_string()];
        if domains {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/scenarios/five-domains.toml");
            return Model::from_scenario(Scenario::load(path, &sets).unwrap()).unwrap();
        }
        sets.push("world.synthetic.degree=6".into());
        Model::from_scenario(Scenario::load("bench/logit-network", &sets).unwrap()).unwrap()
    }

    #[test]
    fn a_run_split_over_threads_defers_its_fragmentation_sum_and_changes_no_bit() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        for m in [block_model(40_000, false), block_model(8_000, true)] {
            let outcome = |parts: usize| {
                pool.install(|| {
                    let mut sim = Simulation::in_parts(&m, &[], &mut run_rng(6, 2, Purpose::Setup), parts);
                    let tastes = sim.affinity.clone();
                    let mut out = sim.empty_outcome(0, Vec::new());
                    let mut rng = run_rng(6, 2, Purpose::Dynamics);
                    for step in 0..m.layout.years {
                        if step > 0 {
                            sim.step(step, &mut rng);
                        }
                        sim.record(step, &mut out);
                        let deferred = parts > 1 && step + 1 < m.layout.years;
                        assert_eq!(sim.recorder.pending, deferred.then_some(step), "{parts} parts, year {step}");
                    }
                    sim.finish(&mut out);
                    let bits = |x: &[f64]| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                    (
                        tastes,
                        out.final_alignment,
                        out.counts,
                        bits(&out.fragmentation),
                        bits(&out.hedging),
                    )
                })
            };
            let one = outcome(1);
            for parts in [2, 3] {
                assert!(outcome(parts) == one, "{parts} parts");
            }
        }
    }

    #[test]
    fn a_deferred_fragmentation_sum_is_taken_before_the_alignments_are_replaced() {
        let m = block_model(40_000, false);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let index = |parts: usize| {
            pool.install(|| {
                let mut sim = Simulation::in_parts(&m, &[], &mut run_rng(3, 0, Purpose::Setup), parts);
                let mut out = sim.empty_outcome(0, Vec::new());
                sim.record(0, &mut out);
                let flipped: Vec<u8> = sim.alignment().iter().map(|&a| (a + 1) % 3).collect();
                sim.set_alignment(&flipped);
                sim.record(1, &mut out);
                out.fragmentation[0].to_bits()
            })
        };
        let (split, whole) = (index(2), index(1));
        assert_eq!(split, whole);
        assert_ne!(split, 0, "written by the next record");
    }

    #[test]
    fn table_weights_with_hedging_and_standards_give_the_exact_logit_probabilities() {
        // Five domains, every state a hedger, a standards pull and a second domain weight: the
        // table path's weights, normalised, must be the exact logit's probabilities.
        let mut text = String::from("name = \"h\"\nframeworks = [\"A\", \"B\", \"C\"]\ndomains = [\"a\", \"b\", \"c\", \"d\", \"e\"]\n");
        text.push_str(
            "[time]\nstart = 0\nend = 6\n[world]\nsource = \"synthetic\"\n[world.synthetic]\nagents = 400\ndegree = 8\nseed = 2\n",
        );
        text.push_str("[choice]\nlambda = 1.3\nrevision = \"synchronous\"\n[utility]\naffinity = 1.0\nnetwork = 2.0\nhedging = 0.7\nstandards = 0.9\n");
        text.push_str("[heterogeneity]\ndistribution = \"uniform\"\nscale = 1.0\n");
        for (d, cost) in ["a", "b", "c", "d", "e"].iter().zip([0.5, 0.0, 0.2, 0.5, 0.1]) {
            text.push_str(&format!("[domain.{d}]\nrevision_rate = 0.5\nswitching_cost = {cost}\n"));
            text.push_str("initial = [{ states = [\"all\"], shares = { A = 0.5, B = 0.3, C = 0.2 } }]\n");
        }
        text.push_str("[domain.e.weights]\nstandards = -0.4\n");
        let m = Model::from_scenario(Scenario::from_str("h.toml", &text).unwrap()).unwrap();
        let mut sim = Simulation::new(&m, &[], &mut run_rng(8, 0, Purpose::Setup));
        let mut out = sim.empty_outcome(0, Vec::new());
        sim.record(0, &mut out);
        let mut rng = run_rng(8, 0, Purpose::Dynamics);
        for step in 1..4 {
            sim.step(step, &mut rng);
            sim.record(step, &mut out);
        }
        assert!(sim.statics.lean && sim.statics.shared && sim.statics.static_u.is_empty());
        let (mut worst, mut u, mut p) = (0.0f64, [0.0; choice::MAX_FRAMEWORKS], [0.0; choice::MAX_FRAMEWORKS]);
        for d in 0..sim.d {
            let kern = sim.kernel(d);
            for i in 0..sim.n {
                let cur = sim.align[d * sim.n + i] as usize;
                let w = sim.table_weights(3, d, i, cur, &kern);
                let total: f64 = w[..3].iter().sum();
                sim.utilities(&kern_weights(&sim, d), &sim.align, d, i, &mut u[..3]);
                choice::probabilities(&u[..3], sim.knobs.lambda, &mut p[..3]);
                for fw in 0..3 {
                    worst = worst.max((w[fw] / total - p[fw]).abs());
                }
            }
        }
        assert!(worst < 1e-12, "largest difference of a probability: {worst}");
    }

    fn kern_weights(sim: &Simulation, d: usize) -> [f64; crate::scenario::TERMS] {
        crate::model::utility::weights(&sim.knobs, d)
    }

    #[test]
    fn pick_inverts_the_cdf() {
        assert_eq!(pick(&[0.2, 0.3, 0.5], 0.1), 0);
        assert_eq!(pick(&[0.2, 0.3, 0.5], 0.2), 1);
        assert_eq!(pick(&[0.2, 0.3, 0.5], 0.99), 2);
        assert_eq!(pick(&[0.0, 1.0, 0.0], 0.9999999), 1);
        assert_eq!(pick(&[0.5, 0.0, 0.4999995, 0.0], 0.9999999), 2);
        assert_eq!(pick(&[0.0, 0.0, 1.0], 0.0), 2);
    }

    /// The count of cumulative shares at or below v is the first index whose cumulative share
    /// exceeds it, on a grid of v and shares with zeros, ties at the boundaries and sums just
    /// under and over 1 (validation allows 1e-6).
    #[test]
    fn pick_is_the_first_exceeding_index() {
        fn first(shares: &[f64], v: f64) -> usize {
            let mut acc = 0.0;
            for (k, &s) in shares.iter().enumerate() {
                acc += s;
                if v < acc {
                    return k;
                }
            }
            shares.iter().rposition(|&s| s > 0.0).unwrap_or(0)
        }
        let rows: [&[f64]; 6] = [
            &[1.0],
            &[0.25, 0.25, 0.5],
            &[0.0, 0.5, 0.0, 0.5],
            &[0.3333333333333333, 0.3333333333333333, 0.3333333333333334],
            &[0.2, 0.3, 0.4999995],
            &[0.1, 0.0, 0.9000005, 0.0],
        ];
        for shares in rows {
            let edges = shares.iter().scan(0.0, |acc, &s| {
                *acc += s;
                Some(*acc)
            });
            let grid = (0..1000).map(|t| t as f64 / 1000.0);
            for v in grid
                .chain(edges.flat_map(|e: f64| [e.next_down(), e, e.next_up()]))
                .filter(|v| (0.0..1.0).contains(v))
            {
                assert_eq!(pick(shares, v), first(shares, v), "shares {shares:?}, v {v}");
            }
        }
    }
}
