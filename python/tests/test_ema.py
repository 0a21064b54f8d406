"""blocsim.ema: the EMA Workbench model of a scenario, and a small perform_experiments."""

from __future__ import annotations

import warnings

import pytest

import blocsim
import blocsim.ema

import ema_workbench  # noqa: F401  (required: a missing EMA Workbench fails the suite)


@pytest.fixture(scope="module")
def model():
    return blocsim.ema.model("baseline", levers={"domain.cloud.switching_cost": (0.1, 1.0)}, replications=3)


def test_uncertainties_are_the_drawn_parameters_with_their_ranges(model):
    s = blocsim.Scenario.load("baseline")
    got = [(u.variable_name, u.lower_bound, u.upper_bound) for u in model.uncertainties]
    assert got == [([u.key], u.low, u.high) for u in s.uncertain]
    assert [u.name for u in model.uncertainties][0] == "choice_lambda"


def test_levers_and_outcomes(model):
    assert [(l.name, l.lower_bound, l.upper_bound) for l in model.levers] == [("domain_cloud_switching_cost", 0.1, 1.0)]
    names = [o.name for o in model.outcomes]
    assert len(names) == 2 * 5 * 3 + 5 + 2
    assert "final_share_cloud_US" in names and "final_gdp_share_ai_CN" in names
    assert names[-2:] == ["fragmentation", "hedging"]
    s = blocsim.Scenario.load("baseline")
    assert [list(o.variable_name) for o in model.outcomes] == [[o.name] for o in s.outcomes if o.compared]
    assert "fragmentation_by_domain.cloud" in {o.name for o in s.outcomes}


def test_an_experiment_is_a_batch_with_the_values_set(tmp_path, model):
    values = {"choice.lambda": 2.0, "utility.network": 1.5, "framework.EU.sponsor.budget": 5000.0,
              "framework.US.sponsor.budget": 4000.0, "framework.CN.sponsor.budget": 9000.0,
              "domain.cloud.switching_cost": 0.5}
    got = model.function(**values)
    b = blocsim.batch("baseline", runs=3, set=values, out=tmp_path / "b", plots=False, detail=False, progress=False)
    means = dict(zip(b.summary["key"].to_pylist(), b.summary["mean"].to_pylist()))
    assert got == {k: means[k] for k in got}
    # The lever moves the outcome: no switching cost is a different world.
    other = model.function(**{**values, "domain.cloud.switching_cost": 0.1})
    assert other != got


def test_perform_experiments_prim_and_feature_scoring(model):
    from ema_workbench import perform_experiments
    from ema_workbench.analysis import feature_scoring, prim

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        experiments, outcomes = perform_experiments(model, scenarios=8, policies=2)
    assert len(experiments) == 16
    for u in model.uncertainties:
        col = experiments[u.name]
        assert col.between(u.lower_bound, u.upper_bound).all()
    frag = outcomes["fragmentation"]
    assert frag.shape == (16,) and ((0 <= frag) & (frag <= 1)).all()
    scores = feature_scoring.get_feature_scores_all(experiments.drop(columns=["model", "policy", "scenario"]), outcomes)
    assert "choice_lambda" in scores.index
    x = experiments[[u.name for u in model.uncertainties]]
    y = outcomes["final_gdp_share_telecom_CN"] > outcomes["final_gdp_share_telecom_CN"].mean()
    box = prim.Prim(x, y, threshold=0.5).find_box()
    assert box is not None


def test_bad_keys_are_refused_with_the_command_lines_message():
    with pytest.raises(blocsim.InputError, match="choice.nothing"):
        blocsim.ema.model("baseline", levers={"choice.nothing": (0, 1)})
    with pytest.raises(blocsim.InputError, match="is drawn per run"):
        blocsim.ema.model("baseline", levers={"choice.lambda": (1, 2)})
    with pytest.raises(blocsim.InputError, match="not drawn per run"):
        blocsim.ema.model("baseline", uncertainties=["domain.cloud.switching_cost"])


def test_identifier():
    assert blocsim.ema.identifier("framework.CN.sponsor.budget") == "framework_CN_sponsor_budget"
    assert blocsim.ema.identifier("event[0].year") == "event_0__year"
