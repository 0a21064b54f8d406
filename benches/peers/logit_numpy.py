"""The benchmark model ("logit-network") as a vectorised NumPy program.

N agents, K = 3 options, m = 16 out-neighbours per agent drawn uniformly without replacement from
the other N - 1 (weight 1/m), affinities b_ik ~ U(0, 1) drawn once per run, initial option uniform.
Synchronous steps: each agent revises with probability rho = 0.5 and picks k with probability
proportional to exp(lambda * (b_ik + J * c_ik / m)), c_ik = its neighbours on k (J = 2, lambda = 1).

Usage: python logit_numpy.py --agents N --steps T --runs R [--seed S] [--coupling J]
Prints one JSON object: sizes, setup and step seconds, agent-updates per second (N*T*R over all
seconds, setup included) and the final share of each option per run.
"""

import argparse
import json
import time

import numpy as np

K, M, RHO, LAMBDA = 3, 16, 0.5, 1.0


def neighbours(n, rng):
    """m distinct out-neighbours per agent, none of them itself: draw, then redraw rows with repeats."""
    nbr = rng.integers(0, n - 1, size=(n, M), dtype=np.int64)
    bad = np.arange(n)
    while True:
        rows = np.sort(nbr[bad], axis=1)
        dup = (rows[:, 1:] == rows[:, :-1]).any(axis=1)
        bad = bad[dup]
        if bad.size == 0:
            break
        nbr[bad] = rng.integers(0, n - 1, size=(bad.size, M))
    # Index j >= i stands for agent j + 1 (skip self).
    nbr += nbr >= np.arange(n)[:, None]
    return nbr.astype(np.int32)


def run(n, steps, coupling, rng):
    t0 = time.perf_counter()
    nbr = neighbours(n, rng)
    b = rng.random((n, K))
    cur = rng.integers(0, K, size=n).astype(np.uint8)
    t1 = time.perf_counter()
    for _ in range(steps):
        idx = np.flatnonzero(rng.random(n) < RHO)
        states = cur[nbr[idx]]
        u = b[idx].copy()
        for k in range(K):
            u[:, k] += coupling * (states == k).sum(axis=1) / M
        cdf = np.cumsum(np.exp(LAMBDA * u), axis=1)
        v = rng.random(idx.size) * cdf[:, -1]
        pick = (v[:, None] >= cdf[:, :-1]).sum(axis=1)
        nxt = cur.copy()
        nxt[idx] = pick
        cur = nxt
    t2 = time.perf_counter()
    share = np.bincount(cur, minlength=K) / n
    return t1 - t0, t2 - t1, share.tolist()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agents", type=int, default=100_000)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--runs", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--coupling", type=float, default=2.0, help="J (2 in the benchmark model)")
    a = p.parse_args()
    started = time.perf_counter()
    results = [run(a.agents, a.steps, a.coupling, np.random.default_rng([a.seed, r])) for r in range(a.runs)]
    wall = time.perf_counter() - started
    print(json.dumps({
        "program": "numpy",
        "numpy": np.__version__,
        "agents": a.agents, "steps": a.steps, "runs": a.runs, "threads": 1,
        "wall_seconds": wall,
        "setup_cpu_seconds": sum(r[0] for r in results),
        "step_cpu_seconds": sum(r[1] for r in results),
        "agent_updates_per_second": a.agents * a.steps * a.runs / wall,
        "final_shares": [r[2] for r in results],
    }))


if __name__ == "__main__":
    main()
