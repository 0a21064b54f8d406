#!/usr/bin/env python3
"""End-to-end test of `blocsim serve` in a real browser (headless Debian Chromium via Playwright).

Starts the server on port 0, opens the page, waits for a provisional and a final result, switches
an event off, moves a slider and changes the run count, waits for the final state of that edit,
and checks every row of the page's table against `comparison.json` written by the
`blocsim compare` command the page shows (with the TOML it exports); pins the result, and opens
the page's address in a new tab to check that it restores the edit and its numbers. Saves screenshots to
tests/browser/screenshots/. Without Chromium or Playwright it skips, except when CI=true, where it
fails. Nothing downloads a browser: Playwright drives /usr/bin/chromium.

Usage: python3 tests/browser/test_serve.py [path/to/blocsim]   (default target/release/blocsim)
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "browser" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
CI = os.environ.get("CI") == "true"


def skip_or_fail(why):
    if CI:
        print(f"browser test: FAILED: {why}", file=sys.stderr)
        print("0 passed, 1 failed")
        sys.exit(1)
    print(f"browser test: skipped: {why}")
    sys.exit(0)


def pp(x):
    return ("+" if x >= 0 else "−") + f"{abs(100 * x):.1f}"


def main():
    # Absolute: the command that reproduces the page runs from a temporary directory.
    binary = (Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "release" / "blocsim").resolve()
    if not binary.exists():
        skip_or_fail(f"{binary} is not built (cargo build --release)")
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright for Python is not installed (see .ci/run)")

    server = subprocess.Popen([str(binary), "serve", "baseline", "--port", "0", "--threads", "2"],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        url = line.split()[2]
        assert url.startswith("http://127.0.0.1:"), line
        SHOTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            # The page forbids eval (its CSP); Playwright's waits need it, so the test context bypasses it.
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.goto(url)
            # The page opens on the first bundled what-if with the baseline's run count.
            page.wait_for_selector("body[data-state=provisional]", timeout=60_000)
            page.screenshot(path=str(SHOTS / "serve-provisional.png"), full_page=True)
            page.wait_for_function("document.body.dataset.finalJob && document.body.dataset.finalJob === document.body.dataset.job",
                                   timeout=120_000)

            # Edit: switch the first event off, move the first slider, fewer runs.
            page.select_option("#start", "dsr-surge")
            page.wait_for_selector("#event-on-0")
            page.uncheck("#event-on-0")
            slider = page.locator("#range-0")
            key = slider.get_attribute("data-key")
            slider.fill("2.2")
            page.fill("#runs", "300")
            page.wait_for_function(
                "!document.body.dataset.pending && document.body.dataset.finalJob === document.body.dataset.job"
                " && reply && reply.runs === 300", timeout=120_000)
            page.screenshot(path=str(SHOTS / "serve-final.png"), full_page=True)

            reply = page.evaluate("reply")
            # The export holds every edit: the command names only the file, runs and seed.
            assert "--set" not in reply["command"], reply["command"]
            section, leaf = key.rsplit(".", 1)
            assert f"[{section}]" in reply["toml"] and f"{leaf} = 2.2" in reply["toml"], (key, reply["toml"])
            assert reply["toml"].count("[[event]]") == 2, reply["toml"]  # dsr-surge has 3; one is off
            rows = page.evaluate("""[...document.querySelectorAll('#table tbody tr')].map(tr => ({
                outcome: tr.dataset.outcome, family: tr.dataset.family, domain: tr.dataset.domain, framework: tr.dataset.framework,
                diff: tr.dataset.diffMean, low: tr.dataset.ciLow, high: tr.dataset.ciHigh,
                cells: [...tr.children].map(td => td.textContent)}))""")
            provisional = page.evaluate("document.querySelector('#table').classList.contains('provisional')")
            assert not provisional
            assert page.text_content("#status") == "final"
            page.click("#pin")
            page.wait_for_selector("#pins .pin")

            # The page's address restores the edit: same switches, slider and runs, same numbers.
            link = page.url
            assert "#s=" in link, link
            again = browser.new_page(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
            again.goto(link)
            again.wait_for_function(
                "document.body.dataset.finalJob && document.body.dataset.finalJob === document.body.dataset.job"
                " && reply && reply.runs === 300", timeout=120_000)
            assert again.input_value("#start") == "dsr-surge"
            assert not again.is_checked("#event-on-0")
            assert again.input_value("#range-0") == "2.2"
            restored = again.evaluate("[...document.querySelectorAll('#table tbody tr')].map(tr => tr.dataset.diffMean)")
            assert restored == [r["diff"] for r in rows], (restored, rows)
            browser.close()

        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, reply["file"]).write_text(reply["toml"])
            words = shlex.split(reply["command"])
            assert words[:2] == ["blocsim", "compare"], words
            subprocess.run([str(binary)] + words[1:] + ["--out", "out", "--no-plots"], cwd=tmp, check=True,
                           stdout=subprocess.DEVNULL)
            cli = json.loads(Path(tmp, "out", "comparison.json").read_text())
        assert cli["runs"] == 300 and cli["alternative"] == reply["name"]
        want = [o for o in cli["outcomes"] if o["family"] == "final_share"]
        assert len(rows) == len(want) > 0, (len(rows), len(want))
        for r, o in zip(rows, want):
            assert (r["outcome"], r["domain"], r["framework"]) == (o["outcome"], o["domain"], o["framework"]), (r, o)
            assert float(r["diff"]) == o["diff_mean"], (r, o)
            assert float(r["low"]) == o["ci_low"] and float(r["high"]) == o["ci_high"], (r, o)
            assert r["cells"][4] == pp(o["diff_mean"]), (r["cells"], o)
            assert r["cells"][5] == f"[{pp(o['ci_low'])}, {pp(o['ci_high'])}]", (r["cells"], o)
            assert r["cells"][6] == f"{o['p_higher']:.2f}", (r["cells"], o)
        assert not errors, errors
        print(f"browser test: the page's {len(rows)} rows equal comparison.json; screenshots in {SHOTS}")
        print("1 passed, 0 failed")
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 (any failure is a failed test)
        print(f"browser test: FAILED: {e!r}"[:4000], file=sys.stderr)
        print("0 passed, 1 failed")
        sys.exit(1)
