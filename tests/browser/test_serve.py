#!/usr/bin/env python3
"""End-to-end test of `blocsim serve` in a real browser (headless Debian Chromium via Playwright).

Starts the server on port 0, opens the page, waits for a provisional and a final result, switches
an event off, fixes λ with its slider and shifts a drawn weight's distribution with another,
changes the run count, waits for the final state of that edit, and checks every row of the page's
table against `comparison.json` written by the `blocsim compare` command the page shows (with the
TOML it exports, and no other flag). Downloads the table's CSV (exact numbers) and a chart as PNG
and SVG; watches one run year by year; draws a response curve over λ whose middle point must equal
`blocsim compare ... --set choice.lambda=2`; marks bad input beside its field; pins the result;
opens the page's address in a new tab to check that it restores the edit and its numbers; runs a
job in each tab at once (the second waits, neither is cancelled); stops the server and checks the
badge says so. Saves screenshots to tests/browser/screenshots/. Without Chromium or Playwright it skips, except when CI=true, where it
fails. Nothing downloads a browser: Playwright drives /usr/bin/chromium.

Usage: python3 tests/browser/test_serve.py [path/to/blocsim]   (default target/release/blocsim)
"""
import csv
import json
import os
import shlex
import subprocess
import sys
import tempfile
import tomllib
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
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True, accept_downloads=True)
            page = context.new_page()
            errors = []
            watch_errors(page, errors)
            page.goto(url)
            # The page opens on the first bundled what-if with the baseline's run count.
            page.wait_for_selector("body[data-state=provisional]", timeout=60_000)
            shot(page, "serve-provisional.png")
            wait_final(page)

            # Edit: switch the first event off, fix λ at 2.2, shift a drawn weight's distribution, fewer runs.
            page.select_option("#start", "dsr-surge")
            page.wait_for_selector("#event-on-0")
            page.uncheck("#event-on-0")
            sliders = page.evaluate("setup.sliders")
            fix, shift = 0, next(i for i, s in enumerate(sliders) if s["drawn"] and s["dist"]["dist"] == "uniform" and i != 0)
            assert sliders[fix]["key"] == "choice.lambda", sliders[fix]
            page.select_option(f"#mode-{fix}", "fix")
            page.locator(f"#range-{fix}").fill("2.2")
            assert "fixed at 2.2" in page.text_content(f"#value-{fix}")
            dist = sliders[shift]["dist"]
            centre = sliders[shift]["value"]
            page.locator(f"#range-{shift}").fill(f"{centre + 0.25:g}")
            assert page.text_content(f"#value-{shift}").startswith("shifted, still drawn"), page.text_content(f"#value-{shift}")
            page.fill("#runs", "300")
            page.wait_for_function(
                "!document.body.dataset.pending && document.body.dataset.finalJob === document.body.dataset.job"
                " && reply && reply.runs === 300", timeout=120_000)
            shot(page, "serve-final.png")

            reply = page.evaluate("reply")
            # The export holds every edit: the command names only the file, runs and seed.
            assert "--set" not in reply["command"], reply["command"]
            assert "[choice]" in reply["toml"] and "lambda = 2.2" in reply["toml"], reply["toml"]
            section, leaf = sliders[shift]["key"].rsplit(".", 1)
            exported = tomllib.loads(reply["toml"])
            want = dict(dist, low=round(dist["low"] + 0.25, 9), high=round(dist["high"] + 0.25, 9))
            assert exported[section][leaf] == want, (exported[section], want)
            assert reply["toml"].count("[[event]]") == 2, reply["toml"]  # dsr-surge has 3; one is off
            rows = table_rows(page)
            assert not page.evaluate("document.querySelector('#table').classList.contains('provisional')")
            assert page.text_content("#status") == "final"

            # Downloads: the table's CSV holds the exact numbers; the chart's PNG is a PNG.
            with page.expect_download() as d:
                page.click("#dl-csv-table")
            csv_rows = list(csv.DictReader(open(d.value.path())))
            assert [float(r["diff_mean"]) for r in csv_rows] == [float(r["diff"]) for r in rows], csv_rows[:2]
            with page.expect_download() as d:
                page.click("#dl-png-forest")
            assert open(d.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
            with page.expect_download() as d:
                page.click("#dl-svg-map")
            assert open(d.value.path()).read().startswith("<svg"), "map SVG"

            # Watch one run: maps of every state for both scenarios, year by year.
            page.fill("#watch-run", "7")
            page.click("#watch-load")
            page.wait_for_selector("#watch-alt svg", timeout=30_000)
            page.locator("#watch-year").fill("15")
            note = page.text_content("#watch-note")
            assert "run 7" in note and "2040" in note, note
            assert page.locator("#watch-base svg path").count() > 100

            # A response curve: 3 values of λ, 40 runs each; the middle point is `compare` with that λ.
            page.select_option("#resp-key", "choice.lambda")
            page.fill("#resp-low", "1.5")
            page.fill("#resp-high", "2.5")
            page.fill("#resp-points", "3")
            page.fill("#resp-runs", "40")
            page.click("#resp-draw")
            page.wait_for_function("document.querySelector('#resp-status').textContent.includes('(final)')", timeout=120_000)
            curve = page.evaluate("respDoc")
            assert [p["value"] for p in curve["points"]] == ["1.5", "2", "2.5"], curve["points"]

            # Bad input is marked beside its field; the last valid numbers stay, and cannot be pinned.
            page.fill("#runs", "2.5")
            page.wait_for_selector("body[data-state=invalid]", timeout=10_000)
            assert "expected a whole number" in page.text_content("#err-runs")
            assert page.is_disabled("#pin")
            page.fill("#runs", "300")
            wait_final(page)
            assert table_rows(page) == rows
            page.click("#pin")
            page.wait_for_selector("#pins .pin")
            assert "event 1" in page.text_content("#pins .changes"), page.text_content("#pins")

            # The page's address restores the edit in a new tab: same switches, sliders and runs, same numbers.
            link = page.url
            assert "#s=" in link, link
            again = context.new_page()
            watch_errors(again, errors)
            again.goto(link)
            wait_final(again)
            assert again.input_value("#start") == "dsr-surge"
            assert not again.is_checked("#event-on-0")
            assert again.input_value(f"#range-{fix}") == "2.2" and again.input_value(f"#mode-{fix}") == "fix"
            assert again.input_value(f"#mode-{shift}") == "shift"
            assert table_rows(again) == rows

            # Two tabs at once: each tab's job is its own; the second waits its turn, neither is cancelled.
            page.fill("#runs", "3000")
            page.wait_for_selector("body[data-state=provisional]", timeout=60_000)
            again.fill("#seed", "99")
            again.wait_for_selector("body[data-state=queued]", timeout=30_000)
            shot(again, "serve-queued.png")
            wait_final(page, runs=3000)
            wait_final(again)
            for tab in (page, again):
                assert tab.text_content("#status") == "final"

            # The server stops: the badge says so instead of "final" (the browser's own connection
            # errors from here on are expected).
            page_errors = list(errors)
            server.kill()
            server.wait()
            page.wait_for_selector("body[data-state=disconnected]", timeout=30_000)
            assert page.is_disabled("#pin")
            shot(page, "serve-disconnected.png")
            browser.close()

        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, reply["file"]).write_text(reply["toml"])
            words = shlex.split(reply["command"])
            assert words[:2] == ["blocsim", "compare"], words
            cli = compare(binary, tmp, words[1:], "out")
            mid = compare(binary, tmp, words[1:4] + ["--runs", "40", "--seed", str(reply["seed"]), "--set", "choice.lambda=2"], "mid")
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
        point = {row[0]: row[1:] for row in curve["points"][1]["outcomes"]}
        for o in mid["outcomes"]:
            assert point[o["outcome"]] == [o["diff_mean"], o["ci_low"], o["ci_high"]], (o, point[o["outcome"]])
        assert not page_errors, page_errors
        print(f"browser test: the page's {len(rows)} rows equal comparison.json, the response curve's middle point equals "
              f"compare --set choice.lambda=2; screenshots in {SHOTS}")
        print("1 passed, 0 failed")
    finally:
        server.kill()
        server.wait()


def watch_errors(page, errors):
    """Collect the page's errors; a 422 answer to input the test makes bad on purpose is not one."""
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and "status of 422" not in m.text and errors.append(m.text))


def shot(page, name):
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / name), full_page=True)


def wait_final(page, runs=None):
    cond = "document.body.dataset.state === 'final' && document.body.dataset.finalJob === document.body.dataset.job"
    if runs is not None:
        cond += f" && reply && reply.runs === {runs}"
    page.wait_for_function(cond, timeout=180_000)


def table_rows(page):
    return page.evaluate("""[...document.querySelectorAll('#table tbody tr')].map(tr => ({
        outcome: tr.dataset.outcome, family: tr.dataset.family, domain: tr.dataset.domain, framework: tr.dataset.framework,
        diff: tr.dataset.diffMean, low: tr.dataset.ciLow, high: tr.dataset.ciHigh,
        cells: [...tr.children].map(td => td.textContent)}))""")


def compare(binary, cwd, args, out):
    subprocess.run([str(binary)] + args + ["--out", out, "--no-plots"], cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return json.loads(Path(cwd, out, "comparison.json").read_text())


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 (any failure is a failed test)
        print(f"browser test: FAILED: {e!r}"[:4000], file=sys.stderr)
        print("0 passed, 1 failed")
        sys.exit(1)
