//! The part of every utility that does not depend on this year's choices, refreshed once a year
//! when an input changed ([`crate::model::utility::TermInputs::static_row`]), and the
//! per-framework exp factors of the table-driven logit.

use super::Simulation;
use crate::model::utility;
use crate::model::{Model, choice, standards};

/// Static utilities and the GDP shares they read.
pub(super) struct Statics {
    /// Utility terms that do not depend on this year's moves, `[(d*N + i)*K + k]`.
    pub static_u: Vec<f64>,
    /// exp(lambda (static_u − max_k static_u)) per cell, `[(d*N + i)*K + k]`, for the table-driven
    /// logit kernel (empty when it is not used; see [`Simulation::fast_logit`]).
    pub exp_static: Vec<f64>,
    /// Whether `static_u` (and `exp_static`) still hold for this year's knobs and alignments.
    pub fresh: bool,
    /// GDP share of each framework per domain `[d*K + k]`, as of the last record.
    pub gdp_share: Vec<f64>,
    /// Whether `gdp_share` still describes the current alignments.
    pub gdp_fresh: bool,
}

impl Statics {
    pub fn new(m: &Model) -> Statics {
        let (n, d, k) = (m.layout.states, m.layout.domains, m.layout.frameworks);
        Statics {
            static_u: vec![0.0; n * d * k],
            exp_static: Vec::new(),
            fresh: false,
            gdp_share: vec![0.0; d * k],
            gdp_fresh: false,
        }
    }
}

impl Simulation<'_> {
    /// Recompute the utility terms that stay fixed within a year. Skipped (see [`Simulation::step`])
    /// when none of their inputs changed: recomputing would give the same values.
    pub(super) fn refresh_static(&mut self) {
        let (n, d_count, k) = (self.n, self.d, self.k);
        let world = &self.m.world;
        if !self.statics.gdp_fresh {
            for d in 0..d_count {
                standards::gdp_shares(
                    &self.align[d * n..(d + 1) * n],
                    &world.gdp,
                    self.m.total_gdp,
                    &mut self.statics.gdp_share[d * k..(d + 1) * k],
                );
            }
            self.statics.gdp_fresh = true;
        }
        let mut static_u = std::mem::take(&mut self.statics.static_u);
        {
            let inputs = self.term_inputs();
            for d in 0..d_count {
                let w = utility::weights(&self.knobs, d);
                let mut global = [0.0; choice::MAX_FRAMEWORKS];
                for (fw, g) in global[..k].iter_mut().enumerate() {
                    *g = inputs.standards_pull(&w, d, fw);
                }
                for (i, row) in static_u[d * n * k..(d + 1) * n * k].chunks_exact_mut(k).enumerate() {
                    inputs.static_row(&w, &global[..k], d, i, row);
                }
            }
        }
        self.statics.static_u = static_u;
        if self.fast_logit() {
            // exp(lambda U) factorises into a static, a network and a switching factor; the static
            // one changes only here.
            let lambda = self.knobs.lambda;
            let s = &mut self.statics;
            s.exp_static.resize(s.static_u.len(), 0.0);
            for (e, u) in s.exp_static.chunks_exact_mut(k).zip(s.static_u.chunks_exact(k)) {
                let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                for (x, &v) in e.iter_mut().zip(u) {
                    *x = (lambda * (v - max)).exp();
                }
            }
        }
        self.statics.fresh = true;
    }

    /// Whether revisions use the table-driven logit kernel: finite lambda and a world whose ties all
    /// have one weight (so a state's network term depends only on integer counts of partners).
    #[inline]
    pub(super) fn fast_logit(&self) -> bool {
        self.knobs.lambda.is_finite() && self.m.tie_sums.is_some()
    }
}
