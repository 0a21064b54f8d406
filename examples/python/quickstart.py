"""blocsim from Python: the baseline with a what-if, a comparison, a sweep, a chart and an EMA
Workbench experiment, on small run counts (seconds on a laptop). Build the module first:

    pip install ./python            # from the clone (maturin and the Rust toolchain)
    python examples/python/quickstart.py [OUT_DIR]

In a notebook, the same lines show a progress bar and the chart inline.
"""

import sys
from pathlib import Path

import blocsim
import blocsim.ema

out = Path(sys.argv[1] if len(sys.argv) > 1 else "output/python-quickstart")
runs = 200

# A bundled scenario with one key overridden, exactly as `--set choice.lambda=2.5` does.
s = blocsim.Scenario.load("baseline", set={"choice.lambda": 2.5})
print(f"{s.name}: {s.states} states, {len(s.domains)} domains, {s.start}-{s.end}")
print("drawn per run:", ", ".join(f"{u.key} ~ {u.dist}[{u.low:g}, {u.high:g}]" for u in s.uncertain))

# A Monte Carlo batch: the files of `blocsim batch`, and its tables as pyarrow Tables.
b = blocsim.batch(s, runs=runs, seed=1, threads=2, out=out / "batch")
runs_df = b.runs.to_pandas()
print(f"{b.runs.num_rows} runs; mean US cloud share at {s.end}: {runs_df['final_share.cloud.US'].mean():.3f}")
summary = {r["key"]: r for r in b.summary.to_pylist()}
frag = summary["fragmentation"]
print(f"fragmentation at the horizon: median {frag['p50']:.3f} (90% of runs in [{frag['p05']:.3f}, {frag['p95']:.3f}])")

# The chart the command line draws (shown inline in a notebook: it has _repr_svg_).
chart = b.plot("fan", domain="cloud")
print("chart:", chart.path)

# Paired differences on common random numbers.
c = blocsim.compare("baseline", "dsr-surge", runs=runs, seed=1, out=out / "compare")
d = c.differences.to_pandas()
gdp = d[d["outcome"] == "final_gdp_share.telecom.CN"].iloc[0]
print(f"dsr-surge - baseline, CN telecom GDP share: {gdp['diff_mean']:+.3f} [{gdp['ci_low']:+.3f}, {gdp['ci_high']:+.3f}]")

# A Latin hypercube sweep of the network weight.
sw = blocsim.sweep(s, params={"utility.network": (1, 3)}, design="lhs", points=8, runs=5, out=out / "sweep")
print(f"sweep: {sw.points.num_rows} points, {sw.runs.num_rows} runs in all")

# An EMA Workbench model: uncertainties are the drawn parameters, one lever, outcomes the shares and indices.
from ema_workbench import perform_experiments  # noqa: E402

m = blocsim.ema.model("baseline", levers={"domain.cloud.switching_cost": (0.1, 1.0)}, replications=3)
experiments, outcomes = perform_experiments(m, scenarios=6, policies=2)
print(f"EMA: {len(experiments)} experiments, {len(outcomes)} outcomes;"
      f" fragmentation from {outcomes['fragmentation'].min():.3f} to {outcomes['fragmentation'].max():.3f}")
