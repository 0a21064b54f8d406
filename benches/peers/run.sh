#!/usr/bin/env bash
# Peer comparison of the benchmark model: blocsim, a hand-written Rust program, NumPy and Mesa.
# Creates benches/peers/.venv with pinned versions, builds blocsim and the hand-written program,
# then runs benches/peers/compare.py (speed side by side, statistical agreement, ratios).
# Not part of `cargo test`. Usage: bash benches/peers/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# Mesa 3.5 needs Python >= 3.12; with only an older Python, the last Mesa for it (3.3.1) is used.
py=""
for c in python3.13 python3.12 "$HOME/.pyenv/versions/3.12.1/bin/python3" python3; do
    if "$c" -c 'import sys' >/dev/null 2>&1; then py="$c"; break; fi
done
[ -n "$py" ] || { echo "no python3 found" >&2; exit 2; }
venv="${PEERS_VENV:-$here/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
fi
if "$venv/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
    mesa="mesa==3.5.1"
else
    mesa="mesa==3.3.1"
fi
"$venv/bin/pip" install --quiet "numpy==2.4.6" "networkx==3.5" "$mesa"

cd "$root"
cargo build --release --bin blocsim --example handwritten
"$venv/bin/python" "$here/compare.py"
