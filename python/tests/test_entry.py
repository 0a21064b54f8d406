"""Importing and starting blocsim as a user does: ``blocsim.ema`` without importing it first,
``python -m blocsim``, the source folder as the working directory, and the explorer from Python."""

from __future__ import annotations

import http.client
import subprocess
import sys
from urllib.parse import urlparse

import pytest

import blocsim
from conftest import ROOT


def python(*code: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *code], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_submodules_load_on_first_use_without_recursion():
    proc = python("-c", "import blocsim; print(blocsim.ema.__name__, blocsim.dask.__name__, 'ema' in dir(blocsim))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["blocsim.ema", "blocsim.dask", "True"]
    proc = python("-c", "import blocsim; blocsim.nothing")
    assert "has no attribute 'nothing'" in proc.stderr and "RecursionError" not in proc.stderr


def test_the_source_folder_as_working_directory_says_what_is_wrong():
    proc = python("-c", "import blocsim", cwd=ROOT / "python")
    assert proc.returncode != 0
    assert "compiled extension (blocsim._native) is missing" in proc.stderr
    assert "circular import" not in proc.stderr


def test_the_benchmark_script_runs_as_its_docstring_says(tmp_path):
    proc = python(str(ROOT / "examples" / "python" / "bench.py"), "commands", "--rounds", "1", "--runs", "20", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [l.split()[0] for l in lines[2:]] == ["run", "batch", "batch", "compare", "sweep", "sensitivity", "calibrate", "forecast"]


def test_python_m_blocsim_is_the_command_line(cli):
    proc = python("-m", "blocsim", "scenarios")
    assert proc.returncode == 0 and proc.stdout == cli("scenarios").stdout
    bad = python("-m", "blocsim", "batch", "baseline", "--runs", "0", "--out", "/nonexistent/x")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --runs 0")
    usage = python("-m", "blocsim", "batch", "--bogus")
    assert usage.returncode == 2 and "unexpected argument '--bogus'" in usage.stderr
    assert python("-m", "blocsim", "--version").stdout.strip() == f"blocsim {blocsim.__version__}"


def get(url: str, path: str, host: str | None = None) -> tuple[int, bytes]:
    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.request("GET", path, headers={"Host": host or u.netloc})
    r = conn.getresponse()
    return r.status, r.read()


def test_serve_runs_in_the_background_and_stops():
    with blocsim.serve("baseline", threads=1) as ex:
        assert ex.running and ex.baseline == "baseline"
        status, body = get(ex.url, "/")
        assert status == 200 and b"<html" in body.lower()
        status, _ = get(ex.url, "/api/setup", host="evil.example")
        assert status == 421  # the server's own Host checks hold from Python too
        assert "href" in ex._repr_html_()
    assert not ex.running
    with pytest.raises(OSError):
        get(ex.url, "/")
    ex.stop()  # idempotent
