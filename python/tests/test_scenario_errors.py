"""Scenario.load and the errors: the command line's names, messages and exit-code classes."""

from __future__ import annotations

import pytest

import blocsim
from blocsim._errors import in_python, reworded
from blocsim._scenario import set_texts, toml_value
from conftest import cli_error


def test_load_reads_the_scenario_and_its_drawn_parameters():
    s = blocsim.Scenario.load("baseline")
    assert s.name == "baseline" and s.states == 183
    assert s.domains == ("telecom", "cloud", "data", "ai", "dpi")
    assert s.frameworks == ("EU", "US", "CN")
    keys = [u.key for u in s.uncertain]
    assert keys == ["choice.lambda", "utility.network", "utility.security", "framework.EU.sponsor.budget",
                    "framework.US.sponsor.budget", "framework.CN.sponsor.budget"]
    security = s.uncertain[2]
    assert security.dist == "normal"
    lam = s.uncertain[0]
    assert (lam.dist, lam.low, lam.high) == ("uniform", 1.5, 3.0)


def test_set_fixes_a_drawn_parameter():
    s = blocsim.Scenario.load("baseline", set={"choice.lambda": 2.5})
    assert "choice.lambda" not in [u.key for u in s.uncertain]
    assert s.sets == ("choice.lambda=2.5",)
    assert s.with_set({"utility.network": 2}).sets == ("choice.lambda=2.5", "utility.network=2")


def test_set_values_are_written_as_the_command_line_reads_them():
    assert toml_value(True) == "true"
    assert toml_value(3) == "3"
    assert toml_value(0.1) == "0.1"
    assert toml_value("sequential") == "sequential"
    assert toml_value({"dist": "uniform", "low": 1, "high": 2}) == '{ dist = "uniform", low = 1, high = 2 }'
    assert toml_value([1, 2.5]) == "[1, 2.5]"
    assert set_texts(["choice.lambda=2"]) == ["choice.lambda=2"]
    with pytest.raises(TypeError, match="cannot write a object"):
        toml_value(object())


def test_a_distribution_can_be_set_from_a_dict():
    s = blocsim.Scenario.load("baseline", set={"choice.lambda": {"dist": "uniform", "low": 1, "high": 2}})
    lam = [u for u in s.uncertain if u.key == "choice.lambda"][0]
    assert (lam.low, lam.high) == (1.0, 2.0)


def test_check_prints_what_the_command_line_prints(cli):
    s = blocsim.Scenario.load("baseline", set=["choice.lambda=2.5"])
    proc = cli("check", "baseline", "--set", "choice.lambda=2.5")
    assert proc.returncode == 0
    assert s.check() == proc.stdout


def test_scenarios_lists_the_bundled_ones(cli):
    assert blocsim.scenarios() == cli("scenarios").stdout


BAD_FILE = """name = "bad"
[world]
kind = "synthetic"
agents = "many"
"""


def bad_inputs(tmp_path):
    """(Python call, the same command line) pairs of bad input that the library itself refuses."""
    path = tmp_path / "bad.toml"
    path.write_text(BAD_FILE)
    out = tmp_path / "o"
    return [
        (lambda: blocsim.Scenario.load("baseline", set={"choice.lamda": 2.5}),
         ["check", "baseline", "--set", "choice.lamda=2.5"]),
        (lambda: blocsim.Scenario.load("baseline", set={"choice.lambda": "fast"}),
         ["check", "baseline", "--set", "choice.lambda=fast"]),
        (lambda: blocsim.Scenario.load("baseline", set={"choice.lambda": float("nan")}),
         ["check", "baseline", "--set", "choice.lambda=nan"]),
        (lambda: blocsim.Scenario.load("no-such-scenario"), ["check", "no-such-scenario"]),
        (lambda: blocsim.Scenario.load(path), ["check", path]),
        (lambda: blocsim.compare("baseline", "dsr-surge", runs=1, out=out, progress=False),
         ["compare", "baseline", "dsr-surge", "--runs", "1", "--out", out]),
        (lambda: blocsim.sweep("baseline", {"choice.lambda": (3, 1)}, out=out, progress=False),
         ["sweep", "baseline", "--param", "choice.lambda=3:1", "--out", out]),
        (lambda: blocsim.sweep("baseline", {"choice.nothing": (1, 3)}, out=out, progress=False),
         ["sweep", "baseline", "--param", "choice.nothing=1:3", "--out", out]),
    ]


def test_bad_input_raises_input_error_with_the_command_lines_message_in_python_words(tmp_path, cli):
    """The message is the command line's, its flags reworded as keywords (see test_reworded)."""
    for call, args in bad_inputs(tmp_path):
        proc = cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        with pytest.raises(blocsim.InputError) as e:
            call()
        assert isinstance(e.value, ValueError)
        assert str(e.value).splitlines()[0] == in_python(cli_error(proc), args[0]), args
        assert " --" not in str(e.value) and not str(e.value).startswith("--"), str(e.value)


def test_reworded():
    flags = [("runs", True), ("resume", False), ("force", False), ("set", True), ("no-plots", False),
             ("fit-years", True), ("param", True), ("out", True)]
    cases = {
        "batch of baseline: --runs 0: expected 1 to 9": "batch of baseline: runs=0: expected 1 to 9",
        "--resume: no checkpoint in o": "resume=True: no checkpoint in o",
        "(use --force to overwrite)": "(use force=True to overwrite)",
        "--set choice.lamda=2.5: `choice.lamda`: unknown": "set item 'choice.lamda=2.5': `choice.lamda`: unknown",
        "--fit-years 2018-2021: expected FIRST:LAST": "fit_years=2018-2021: expected FIRST:LAST",
        "charts are off (--no-plots)": "charts are off (plots=False)",
        "--param choice.lambda=3:1: low above high": "params item 'choice.lambda=3:1': low above high",
        "an unknown --seed 3 stays": "an unknown --seed 3 stays",
        "about 5 times the --runs and 12 more": "about 5 times the runs and 12 more",
        "write into --out DIR (or use --force)": "write into out DIR (or use force=True)",
    }
    for message, expected in cases.items():
        assert reworded(message, flags) == expected


ARGUMENT_ERRORS = [
    # (call, exception, the message's start)
    (lambda o: blocsim.batch("baseline", runs=-1, out=o), blocsim.InputError, "batch(runs=-1): expected a whole number of runs from 1 to"),
    (lambda o: blocsim.batch("baseline", runs=0, out=o), blocsim.InputError, "batch(runs=0): expected"),
    (lambda o: blocsim.batch("baseline", threads=-2, out=o), blocsim.InputError, "batch(threads=-2): expected a number of worker threads from 1 to 1024"),
    (lambda o: blocsim.batch("baseline", threads=10000, out=o), blocsim.InputError, "batch(threads=10000)"),
    (lambda o: blocsim.batch("baseline", seed=-1, out=o), blocsim.InputError, "batch(seed=-1): expected a whole-number seed from 0 to"),
    (lambda o: blocsim.batch("baseline", seed=2**64, out=o), blocsim.InputError, "batch(seed=18446744073709551616)"),
    (lambda o: blocsim.batch("baseline", runs="ten", out=o), blocsim.InputTypeError, "batch(runs='ten'): expected a whole number of runs (an int), not str"),
    (lambda o: blocsim.batch("baseline", runs=2.5, out=o), blocsim.InputTypeError, "batch(runs=2.5)"),
    (lambda o: blocsim.batch("baseline", runs=True, out=o), blocsim.InputTypeError, "batch(runs=True)"),
    (lambda o: blocsim.batch("baseline", plots="no", out=o), blocsim.InputTypeError, "batch(plots='no'): expected True or False"),
    (lambda o: blocsim.batch("baseline", resume=True), blocsim.InputError, "batch(resume=True): expected out="),
    (lambda o: blocsim.batch(42, out=o), blocsim.InputTypeError, "batch(scenario=42)"),
    (lambda o: blocsim.batch("missing.toml", out=o), blocsim.MissingFileError, "batch(scenario='missing.toml'): no such scenario file"),
    (lambda o: blocsim.sweep("baseline", {"choice.lambda": (1, 3)}, design="random", out=o), blocsim.InputError, "sweep(design='random'): expected 'grid' or 'lhs'"),
    (lambda o: blocsim.sensitivity("baseline", method="fast", out=o), blocsim.InputError, "sensitivity(method='fast'): expected 'sobol' or 'morris'"),
    (lambda o: blocsim.calibrate("baseline", "no/such/dir", out=o), blocsim.MissingFileError, "calibrate(observed='no/such/dir'): no such observed directory"),
    (lambda o: blocsim.serve(bind="localhost"), blocsim.InputError, "serve(bind='localhost'): expected an IP address"),
    (lambda o: blocsim.run("baseline", run=-3, out=o), blocsim.InputError, "run(run=-3)"),
    (lambda o: blocsim.read_table(o / "nope.csv"), blocsim.MissingFileError, "read_table(path="),
    (lambda o: blocsim.open(o / "nowhere"), blocsim.MissingFileError, "open(dir="),
]


@pytest.mark.parametrize("i", range(len(ARGUMENT_ERRORS)))
def test_argument_errors_name_the_keyword_and_are_pythons_exceptions(tmp_path, i):
    call, exc, start = ARGUMENT_ERRORS[i]
    with pytest.raises(exc) as e:
        call(tmp_path / "o")
    assert str(e.value).startswith(start), str(e.value)
    builtin = {blocsim.InputError: ValueError, blocsim.InputTypeError: TypeError,
               blocsim.MissingFileError: FileNotFoundError}[exc]
    assert isinstance(e.value, builtin) and isinstance(e.value, blocsim.BlocsimError)
    assert not (tmp_path / "o").exists(), "nothing is written for bad input"


def test_a_clap_level_error_is_an_input_error_too():
    with pytest.raises(blocsim.InputError, match="unexpected argument"):
        blocsim._native.invoke(["batch", "baseline", "--bogus"], [])


def test_a_scenario_file_error_names_file_line_and_column(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD_FILE)
    with pytest.raises(blocsim.InputError, match=r"bad\.toml:4:\d+") as e:
        blocsim.Scenario.load(path)
    assert "world.agents" in str(e.value)


def test_an_output_directory_that_is_not_blocsims_is_refused(tmp_path, cli):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    proc = cli("batch", "baseline", "--runs", 2, "--out", out)
    with pytest.raises(blocsim.InputError) as e:
        blocsim.batch("baseline", runs=2, out=out, progress=False)
    assert proc.returncode == 2 and str(e.value) == in_python(cli_error(proc), "batch")
    assert (out / "notes.txt").read_text() == "mine"


def test_input_error_is_a_blocsim_error():
    assert issubclass(blocsim.InputError, blocsim.BlocsimError)
    assert issubclass(blocsim.BlocsimError, Exception)


@pytest.mark.parametrize("thread", [False, True])
def test_a_panic_arrives_as_blocsim_error(thread):
    with pytest.raises(blocsim.BlocsimError, match="internal error .*probe"):
        blocsim._native._panic_probe(thread)


def test_compare_refuses_overrides_of_the_baseline():
    base = blocsim.Scenario.load("baseline", set={"choice.lambda": 2})
    with pytest.raises(blocsim.InputError, match="the baseline takes no overrides"):
        blocsim.compare(base, "dsr-surge", runs=10, progress=False)


def test_progress_must_be_a_bool_or_a_callable(tmp_path):
    with pytest.raises(TypeError, match="progress"):
        blocsim.batch("baseline", runs=2, out=tmp_path / "o", progress="yes")
