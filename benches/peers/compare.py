"""Run blocsim, the hand-written Rust program, NumPy and Mesa on the benchmark model side by side.

Called by run.sh (which prepares the virtual environment and builds the Rust programs). Two parts:

1. Speed at N = 100,000, T = 50, R = 4 (Mesa at a smaller size, reported as a per-update rate):
   agent-updates per second = N*T*R / seconds, setup included, and the ratios to blocsim.
2. Statistical agreement at N = 1,000, T = 50 with many runs: for each option the mean final share
   and the run-to-run variance of the final share must agree with blocsim's within 4 standard
   errors (means: SE from the two sample variances; variances: SE of a log sample variance,
   sqrt(2/(R-1)), which is what detects the coupling J). A NumPy run with J = 0 is included as a
   power check: it must be told apart by the variance test.
"""

import csv
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BLOCSIM = os.path.join(ROOT, "target", "release", "blocsim")
HANDWRITTEN = os.path.join(ROOT, "target", "release", "examples", "handwritten")
HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable

N, T, R = 100_000, 50, 4
MESA_N, MESA_T, MESA_R = int(os.environ.get("MESA_AGENTS", 10_000)), int(os.environ.get("MESA_STEPS", 10)), 1
AGREE_N, AGREE_T = 1_000, 50
AGREE_R = int(os.environ.get("AGREE_RUNS", 200))
MESA_AGREE_R = int(os.environ.get("MESA_AGREE_RUNS", 100))
Z = 4.0


def sh(cmd):
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def peer(cmd):
    return json.loads(sh(cmd))


def blocsim_rate(threads):
    rep = json.loads(sh([BLOCSIM, "bench", "--agents", str(N), "--steps", str(T), "--runs", str(R),
                         "--threads", ",".join(map(str, threads)), "--repeats", "3", "--warmup", "1", "--json"]))
    return {row["threads"]: row for row in rep["rows"]}, rep["machine"]


def blocsim_shares(runs):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        sh([BLOCSIM, "batch", "bench/logit-network", "--set", f"world.synthetic.agents={AGREE_N}",
            "--set", f"time.end={AGREE_T}", "--runs", str(runs), "--no-plots", "--out", out])
        with open(os.path.join(out, "runs.csv")) as f:
            return [[float(r["share:x:A"]), float(r["share:x:B"]), float(r["share:x:C"])] for r in csv.DictReader(f)]


def moments(shares, k):
    xs = [s[k] for s in shares]
    n = len(xs)
    m = sum(xs) / n
    v = sum((x - m) ** 2 for x in xs) / (n - 1)
    return m, v, n


def agree(ref, other):
    """(ok, lines) comparing mean and variance of each option's final share."""
    ok, lines = True, []
    for k, name in enumerate("ABC"):
        m1, v1, n1 = moments(ref, k)
        m2, v2, n2 = moments(other, k)
        z_mean = (m2 - m1) / math.sqrt(v1 / n1 + v2 / n2)
        z_var = math.log(v2 / v1) / math.sqrt(2 / (n1 - 1) + 2 / (n2 - 1))
        good = abs(z_mean) < Z and abs(z_var) < Z
        ok &= good
        lines.append(f"    {name}: mean {m2:.5f} vs {m1:.5f} (z = {z_mean:+.2f}); "
                     f"variance {v2:.3e} vs {v1:.3e} (z = {z_var:+.2f}) {'ok' if good else 'DIFFERENT'}")
    return ok, lines


def main():
    rows, machine = blocsim_rate([1, 2])
    hw = {t: peer([HANDWRITTEN, "--agents", str(N), "--steps", str(T), "--runs", str(R), "--threads", str(t)]) for t in (1, 2)}
    npy = peer([PY, os.path.join(HERE, "logit_numpy.py"), "--agents", str(N), "--steps", str(T), "--runs", str(R)])
    mesa = peer([PY, os.path.join(HERE, "logit_mesa.py"), "--agents", str(MESA_N), "--steps", str(MESA_T), "--runs", str(MESA_R)])

    print(f"\nSpeed on {machine['cpu']} ({machine['cores']} logical cores): logit-network, "
          f"agent-updates per second = N*T*R / seconds, setup included")
    print(f"{'program':<34} {'N':>8} {'T':>4} {'R':>3} {'threads':>7} {'updates/s':>12} {'blocsim 1t / it':>16}")
    b1 = rows[1]["updates_per_second"]
    table = [
        ("blocsim (general engine)", N, T, R, 1, rows[1]["updates_per_second"]),
        ("blocsim (general engine)", N, T, R, 2, rows[2]["updates_per_second"]),
        ("hand-written Rust", N, T, R, 1, hw[1]["agent_updates_per_second"]),
        ("hand-written Rust", N, T, R, 2, hw[2]["agent_updates_per_second"]),
        (f"NumPy {npy['numpy']} (vectorised)", N, T, R, 1, npy["agent_updates_per_second"]),
        (f"Mesa {mesa['mesa']} (idiomatic)", MESA_N, MESA_T, MESA_R, 1, mesa["agent_updates_per_second"]),
    ]
    for name, n, t, r, th, rate in table:
        print(f"{name:<34} {n:>8} {t:>4} {r:>3} {th:>7} {rate / 1e6:>10.3f} M {b1 / rate:>15.2f}x")
    print(f"blocsim 2 threads / 1 thread: {rows[2]['updates_per_second'] / b1:.2f}x; "
          f"blocsim 1 thread / hand-written 1 thread: {b1 / hw[1]['agent_updates_per_second']:.2f}x")
    if MESA_N != N or MESA_T != T:
        print(f"(Mesa measured at N = {MESA_N}, T = {MESA_T}, R = {MESA_R}: its per-update rate is compared.)")

    print(f"\nStatistical agreement at N = {AGREE_N}, T = {AGREE_T} (final shares; |z| < {Z} required)")
    ref = blocsim_shares(AGREE_R)
    others = {
        "hand-written Rust": peer([HANDWRITTEN, "--agents", str(AGREE_N), "--steps", str(AGREE_T), "--runs", str(AGREE_R), "--threads", "2"])["final_shares"],
        "NumPy": peer([PY, os.path.join(HERE, "logit_numpy.py"), "--agents", str(AGREE_N), "--steps", str(AGREE_T), "--runs", str(AGREE_R)])["final_shares"],
        "Mesa": peer([PY, os.path.join(HERE, "logit_mesa.py"), "--agents", str(AGREE_N), "--steps", str(AGREE_T), "--runs", str(MESA_AGREE_R)])["final_shares"],
    }
    all_ok = True
    for name, shares in others.items():
        ok, lines = agree(ref, shares)
        all_ok &= ok
        print(f"  {name} ({len(shares)} runs) vs blocsim ({len(ref)} runs): {'agree' if ok else 'DISAGREE'}")
        print("\n".join(lines))
    j0 = peer([PY, os.path.join(HERE, "logit_numpy.py"), "--agents", str(AGREE_N), "--steps", str(AGREE_T), "--runs", str(AGREE_R), "--coupling", "0"])["final_shares"]
    ok0, lines0 = agree(ref, j0)
    print(f"  power check, NumPy with J = 0: {'NOT detected (test too weak)' if ok0 else 'detected as different, as it must be'}")
    print("\n".join(lines0))
    if not all_ok or ok0:
        sys.exit(1)


if __name__ == "__main__":
    main()
