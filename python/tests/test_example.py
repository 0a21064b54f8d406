"""The example script under examples/python/ runs as a user runs it."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_quickstart_runs(tmp_path):
    script = ROOT / "examples" / "python" / "quickstart.py"
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "200 runs; mean US cloud share" in proc.stdout
    assert "EMA: 12 experiments, 37 outcomes" in proc.stdout  # 2 x 5 x 3 shares, 5 + 1 fragmentation, hedging
    assert (tmp_path / "out" / "batch" / "plots" / "fan_count_cloud.svg").is_file()
    assert (tmp_path / "out" / "compare" / "comparison.csv").is_file()
