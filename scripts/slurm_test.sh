#!/usr/bin/env bash
# A real Slurm test: a single-node Slurm cluster on this machine runs a batch as a 4-task job array
# (examples/slurm/batch-array.sbatch, --shard auto), merges the shards through Slurm
# (examples/slurm/merge.sbatch), and compares the result byte for byte with the same batch run on
# one machine. Run as root (it installs packages and starts daemons); `.ci/run` calls it.
#
# It installs Debian's slurmctld, slurmd, slurm-client and munge if they are missing, starts munged
# (unless one already answers), slurmctld and slurmd directly (there is no systemd), with the
# configuration examples/slurm/slurm.conf adapted to this machine and kept, with all Slurm state and
# logs, in a temporary directory; and it stops the daemons it started when it exits, whatever
# happens. On failure it prints the Slurm logs and the jobs' output.
#
# Environment: BLOCSIM (binary; default target/release/blocsim, built if missing), RUNS (default
# 400), SEED (default 7), SLURM_TEST_TIMEOUT (seconds for each wait, default 900).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${RUNS:-400}
SEED=${SEED:-7}
TASKS=4
TIMEOUT=${SLURM_TEST_TIMEOUT:-900}

say() { echo "slurm_test: $*" >&2; }
die() {
    say "FAILED: $*"
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (installs packages, starts munged, slurmctld and slurmd)"

BLOCSIM=${BLOCSIM:-$ROOT/target/release/blocsim}
if [ ! -x "$BLOCSIM" ]; then
    say "building blocsim"
    cargo build --release
fi
BLOCSIM=$(readlink -f "$BLOCSIM")

# --- packages -------------------------------------------------------------------------------
missing=()
for cmd in slurmctld slurmd sbatch munged; do
    if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then
        missing+=("$cmd")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing slurmctld slurmd slurm-client munge (missing: ${missing[*]})"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge
fi
if pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null; then
    die "a slurmctld or slurmd is already running on this machine; this test starts its own single-node cluster"
fi

# --- a private single-node cluster ------------------------------------------------------------
WORK=$(mktemp -d /tmp/blocsim-slurm.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/log" "$WORK/jobs" "$WORK/out"
chown slurm:slurm "$WORK/state" "$WORK/log"
CONF=$WORK/slurm.conf
export SLURM_CONF=$CONF
STARTED=()          # "name:pid" of every daemon this script started
OK=0

print_logs() {
    for f in "$WORK"/log/*.log "$WORK"/jobs/*; do
        [ -f "$f" ] || continue
        echo "----- $f (last 60 lines) -----" >&2
        tail -n 60 "$f" >&2 || true
    done
    command -v sinfo >/dev/null && sinfo -N -l >&2 || true
    command -v squeue >/dev/null && squeue -a >&2 || true
}

stop_pid() {
    local name=$1 pid=$2
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    say "$name ($pid) did not stop in 10 s; killing it"
    kill -9 "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    if [ "$OK" -ne 1 ]; then
        say "failed (exit $rc); Slurm logs and job output follow"
        print_logs
    fi
    # Stop in reverse order of starting: slurmd, slurmctld, then munged.
    for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
        stop_pid "${STARTED[i]%%:*}" "${STARTED[i]##*:}"
    done
    if [ "$OK" -eq 1 ]; then
        rm -rf "$WORK"
    else
        say "kept $WORK for inspection"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cpus=$(nproc)
mem_mb=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 - 512))
sed -e "s|^StateSaveLocation=.*|StateSaveLocation=$WORK/state|" \
    -e "s|^SlurmdSpoolDir=.*|SlurmdSpoolDir=$WORK/spool|" \
    -e "s|^SlurmctldPidFile=.*|SlurmctldPidFile=$WORK/slurmctld.pid|" \
    -e "s|^SlurmdPidFile=.*|SlurmdPidFile=$WORK/slurmd.pid|" \
    -e "s|^SlurmctldLogFile=.*|SlurmctldLogFile=$WORK/log/slurmctld.log|" \
    -e "s|^SlurmdLogFile=.*|SlurmdLogFile=$WORK/log/slurmd.log|" \
    -e "s|CPUs=[0-9]*|CPUs=$cpus|" \
    -e "s|RealMemory=[0-9]*|RealMemory=$mem_mb|" \
    examples/slurm/slurm.conf >"$CONF"

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
    local limit=$1 what=$2
    shift 2
    for _ in $(seq 1 $((limit * 2))); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    die "timed out after ${limit} s waiting for $what"
}

pid_from() { # pid_from FILE: wait for a pid file and print its pid
    wait_for 30 "$1" test -s "$1"
    cat "$1"
}

if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    say "using the munged already running"
else
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    [ -s /etc/munge/munge.key ] || die "/etc/munge/munge.key is missing (the munge package creates it)"
    rm -f /run/munge/munged.pid
    runuser -u munge -- /usr/sbin/munged
    STARTED+=("munged:$(pid_from /run/munge/munged.pid)")
    wait_for 30 "munge to answer" bash -c 'munge -n | unmunge'
fi

/usr/sbin/slurmctld -f "$CONF"
STARTED+=("slurmctld:$(pid_from "$WORK/slurmctld.pid")")
/usr/sbin/slurmd -f "$CONF" -N vm
STARTED+=("slurmd:$(pid_from "$WORK/slurmd.pid")")
wait_for 60 "node vm to be idle" bash -c 'sinfo -h -N -o "%t" | grep -qx idle'
say "cluster up: $(sinfo -h -o '%P %a %D %t %N')"

# --- the job array, the merge, and a single-machine run ---------------------------------------
export BLOCSIM RUNS SEED OUT=$WORK/out
t0=$(date +%s.%N)
timeout "$TIMEOUT" sbatch --wait --array=0-$((TASKS - 1)) --cpus-per-task=1 --export=ALL \
    --output="$WORK/jobs/array-%A_%a.out" examples/slurm/batch-array.sbatch ||
    die "the job array failed or timed out"
t1=$(date +%s.%N)
timeout "$TIMEOUT" sbatch --wait --export=ALL,MERGE_FLAGS=--no-plots \
    --output="$WORK/jobs/merge-%j.out" examples/slurm/merge.sbatch ||
    die "the merge job failed or timed out"
t2=$(date +%s.%N)
"$BLOCSIM" batch baseline --runs "$RUNS" --seed "$SEED" --no-plots --out "$WORK/single"
t3=$(date +%s.%N)

for i in $(seq 0 $((TASKS - 1))); do
    grep -q "\"shard\": \"$i/$TASKS\"" "$WORK/out/shard-$i/manifest.json" ||
        die "shard-$i/manifest.json does not record shard $i/$TASKS"
done
for f in runs.csv states.csv timeseries.csv summary.json indices.csv detail.parquet; do
    cmp "$WORK/single/$f" "$WORK/out/merged/$f" || die "$f of the merged shards differs from the single-machine run"
done
grep -q '"merged_from"' "$WORK/out/merged/manifest.json" || die "the merged manifest does not record its shards"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v n="$TASKS" -v r="$RUNS" 'BEGIN {
    printf "slurm_test: job array of %d tasks %.1f s, merge job %.1f s, single-machine batch %.1f s (%d runs)\n", n, b - a, c - b, d - c, r
}' >&2
say "OK: $TASKS shards run by Slurm and merged are byte-identical to one machine's batch"
OK=1
