//! Sponsors during a run: every year each investment stock depreciates, then each sponsor spreads
//! its budget over its targets by its strategy ([`crate::model::sponsors`]).

use super::Simulation;
use crate::model::{Model, NO_ANCHOR, choice, investment, sponsors};
use crate::scenario::Strategy;

/// Investment stocks received from each framework's sponsor.
pub(super) struct Stocks {
    /// Million US$, `[(d*N + i)*K + k]` (empty without sponsors).
    pub stock: Vec<f64>,
    /// Scratch: allocation weights of one sponsor's targets.
    weights: Vec<f64>,
}

impl Stocks {
    pub fn new(m: &Model) -> Stocks {
        let (n, d, k) = (m.layout.states, m.layout.domains, m.layout.frameworks);
        Stocks {
            stock: vec![0.0; if m.has_sponsors { n * d * k } else { 0 }],
            weights: Vec::new(),
        }
    }
}

impl Simulation<'_> {
    /// Sponsors: depreciate every stock, then spread each budget over its targets.
    pub(super) fn invest(&mut self) {
        let (n, k) = (self.n, self.k);
        let depreciation = self.knobs.depreciation;
        let stocks = &mut self.stocks;
        stocks.stock.iter_mut().for_each(|s| *s = investment::update(*s, 0.0, depreciation));
        let mut probs = [0.0; choice::MAX_FRAMEWORKS];
        let weights = &mut stocks.weights;
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
                    let p = if sp.strategy == Strategy::Swing {
                        choice::probabilities(&self.statics.static_u[row..row + k], self.knobs.lambda, &mut probs[..k]);
                        probs[fw]
                    } else {
                        0.0
                    };
                    let aligned = self.align[d * n + i] as usize == fw;
                    weights.push(sponsors::weight(
                        sp.strategy,
                        self.m.world.gdp[i],
                        p,
                        self.m.econ.get(i * k + fw).copied().unwrap_or(0.0),
                        aligned,
                    ));
                }
                let mut total: f64 = weights.iter().sum();
                if total <= 0.0 && sp.strategy == Strategy::Swing {
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
                for (&i, &w) in targets.iter().zip(weights.iter()) {
                    stocks.stock[(d * n + i as usize) * k + fw] += amount * w / total;
                }
            }
        }
    }
}
