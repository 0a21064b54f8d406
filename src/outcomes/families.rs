//! The list of outcome families, in the order of `runs.csv`, `summary.json` and comparisons.

use serde_json::json;

use super::{Family, Over, Uses};
use crate::aggregate::{Aggregator, Stats};
use crate::metrics::Layout;

const EVERYWHERE: Uses = Uses {
    runs_csv: true,
    compared: true,
    default: false,
    selectable: true,
};
const HEADLINE: Uses = Uses {
    default: true,
    ..EVERYWHERE
};
const NOT_PAIRED: Uses = Uses {
    compared: false,
    ..EVERYWHERE
};
const DERIVED: Uses = Uses {
    runs_csv: false,
    ..NOT_PAIRED
};

/// Every outcome family. Adding one: an entry here, the value it reads from [`crate::metrics::RunOutcome`] (and
/// the run's code that records it), and its aggregate; every table, comparison, selector and the
/// EMA model then carry it.
pub const FAMILIES: [Family; 11] = [
    Family {
        name: "final_share",
        over: Over::DomainFramework,
        about: "share of states on the framework in the domain at the horizon (count / N)",
        uses: EVERYWHERE,
        value: |o, l, d, k| o.counts.get(horizon(l, d, k)).map(|&c| f64::from(c) / l.states as f64),
        summary: |a, d, k| a.count_share(last(a), d, k).to_json(),
        formerly: &["share:<domain>:<fw>"],
    },
    Family {
        name: "final_gdp_share",
        over: Over::DomainFramework,
        about: "GDP-weighted share of the framework in the domain at the horizon",
        uses: HEADLINE,
        value: |o, l, d, k| o.gdp_shares.get(horizon(l, d, k)).copied(),
        summary: |a, d, k| a.gdp_share(last(a), d, k).to_json(),
        formerly: &["gdp_share:<domain>:<fw>"],
    },
    Family {
        name: "final_population_share",
        over: Over::DomainFramework,
        about: "population-weighted share of the framework in the domain at the horizon",
        uses: NOT_PAIRED,
        value: |o, l, d, k| o.pop_shares.get(d * l.frameworks + k).copied(),
        summary: |a, d, k| a.population_share(d, k).to_json(),
        formerly: &["population_share:<domain>:<fw>", "final_pop_share.<domain>.<fw>"],
    },
    Family {
        name: "fragmentation_by_domain",
        over: Over::Domain,
        about: "fragmentation index of the domain at the horizon (trade-weighted share of partner pairs apart)",
        uses: EVERYWHERE,
        value: |o, _, d, _| o.fragmentation_final.get(d).copied(),
        summary: |a, d, _| a.fragmentation_final(d).to_json(),
        formerly: &[
            "fragmentation:<domain>",
            "fragmentation.<domain>",
            "indices.fragmentation_by_domain.<domain>",
        ],
    },
    Family {
        name: "fragmentation",
        over: Over::World,
        about: "fragmentation index at the horizon, mean over domains",
        uses: HEADLINE,
        value: |o, l, _, _| o.fragmentation.get(l.years - 1).copied(),
        summary: |a, _, _| a.fragmentation(last(a)).to_json(),
        formerly: &["indices.fragmentation"],
    },
    Family {
        name: "hedging",
        over: Over::World,
        about: "hedging index at the horizon (mean diversity of states' frameworks across domains)",
        uses: HEADLINE,
        value: |o, l, _, _| o.hedging.get(l.years - 1).copied(),
        summary: |a, _, _| a.hedging(last(a)).to_json(),
        formerly: &["indices.hedging"],
    },
    Family {
        name: "bloc",
        over: Over::Framework,
        about: "share of states aligned with the framework in every domain at the horizon",
        uses: NOT_PAIRED,
        value: |o, _, _, k| o.bloc.get(k).copied(),
        summary: |a, _, k| a.bloc(k).to_json(),
        formerly: &["bloc:<fw>", "indices.bloc.<fw>"],
    },
    Family {
        name: "switches_by_domain",
        over: Over::Domain,
        about: "alignment changes made by revising states in the domain during the run",
        uses: NOT_PAIRED,
        value: |o, _, d, _| o.switches.get(d).map(|&s| s as f64),
        summary: |a, d, _| json!({ "mean": a.switches_per_run(d) }),
        formerly: &["switches:<domain>", "switches.<domain>", "switches_per_run.<domain>"],
    },
    Family {
        name: "switches",
        over: Over::World,
        about: "alignment changes made by revising states during the run, all domains",
        uses: DERIVED,
        value: |o, _, _, _| Some(o.switches.iter().sum::<u64>() as f64),
        summary: |a, _, _| json!({ "mean": a.switches_total_per_run() }),
        formerly: &[],
    },
    Family {
        name: "tipped",
        over: Over::DomainFramework,
        about: "1 if the framework's GDP share in the domain rose above one half after the start, else 0",
        uses: DERIVED,
        value: |o, l, d, k| o.tipping_year.get(d * l.frameworks + k).map(|y| f64::from(u8::from(y.is_some()))),
        summary: |a, d, k| bernoulli(a.tipping(d, k).runs_tipped, a.runs()).to_json(),
        formerly: &["tipping.<domain>.<fw>.share_of_runs"],
    },
    Family {
        name: "tipping_year",
        over: Over::DomainFramework,
        about: "first year the framework's GDP share in the domain rose above one half (missing: never)",
        uses: Uses {
            runs_csv: true,
            compared: false,
            default: false,
            selectable: false,
        },
        value: |o, l, d, k| o.tipping_year.get(d * l.frameworks + k).copied().flatten().map(f64::from),
        summary: |a, d, k| json!({ "median": a.tipping(d, k).median_year }),
        formerly: &["tipping_year:<domain>:<fw>", "tipping.<domain>.<fw>.median_year"],
    },
];

/// Index of (horizon, d, k) in per-year share arrays.
fn horizon(l: &Layout, d: usize, k: usize) -> usize {
    l.share_index(l.years - 1, d, k)
}

/// The aggregator's last recorded year.
fn last(a: &Aggregator) -> usize {
    a.layout().years.saturating_sub(1)
}

/// The statistics of a 0/1 outcome that was 1 in `ones` of `runs` runs, defined as the
/// aggregator's exact statistics are: the mean, the sample standard deviation
/// √(m (R − m) / (R (R − 1))) (0 for one run), and the lower empirical quantiles (0 while the
/// R − m zeros reach the rank ⌈p R / 100⌉, else 1). NaN without runs.
pub(crate) fn bernoulli(ones: u64, runs: u64) -> Stats {
    if runs == 0 {
        return Stats::NAN;
    }
    let (m, r) = (u128::from(ones), u128::from(runs));
    let sd = if runs == 1 {
        0.0
    } else {
        ((m * (r - m)) as f64 / (r * (r - 1)) as f64).sqrt()
    };
    let q = |p: u64| f64::from(u8::from(runs - ones < (p * runs).div_ceil(100)));
    Stats {
        mean: ones as f64 / runs as f64,
        sd,
        p05: q(5),
        p25: q(25),
        p50: q(50),
        p75: q(75),
        p95: q(95),
    }
}
