"""Normalised return, bootstrap intervals, and the per-protocol means over environments."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from cwmb.metrics.normalise import (
    ADVANTAGE_MIN_STANDARD_ERRORS,
    NotApplicable,
    NotMeasured,
    advantage_standard_error,
    aggregate,
    bootstrap_ci,
    normalised_return,
    reference_advantage,
)
from cwmb.registry import ENVIRONMENTS

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
PAPER_RESULTS = SHARED / "paper_results.json"
needs_paper = pytest.mark.skipif(not PAPER_RESULTS.is_file(), reason=f"{PAPER_RESULTS} not found")


@pytest.mark.parametrize(
    "r_model, r_random, r_oracle, expected",
    [(50.0, 0.0, 100.0, 0.5), (100.0, 0.0, 100.0, 1.0), (-10.0, 0.0, 100.0, -0.1), (150.0, 0.0, 100.0, 1.5),
     (-739.8, -1122.8, -373.6, 383.0 / 749.2)],  # the last: the paper's Pendulum, GPT-4 (0.51 in Table 11)
)
def test_normalised_return_formula(r_model, r_random, r_oracle, expected):
    # References without spread: the advantage is exact, so only its sign decides.
    assert normalised_return(r_model, [r_random] * 3, [r_oracle] * 3) == pytest.approx(expected)


def test_normalised_return_divides_by_the_difference_of_the_reference_means():
    assert normalised_return(3.0, [0.0, 2.0], [9.0, 11.0, 10.0]) == pytest.approx((3.0 - 1.0) / (10.0 - 1.0))


def test_oracle_no_better_than_random_is_not_applicable():
    result = normalised_return(-200.0, [-200.0] * 10, [-200.0] * 10, env_id="MountainCar-v0")  # the paper's MountainCar
    assert isinstance(result, NotApplicable)
    assert str(result).startswith("N/A (oracle not measurably better than random on MountainCar-v0")
    assert isinstance(normalised_return(0.0, [10.0] * 3, [5.0] * 3), NotApplicable)  # oracle worse than random


def test_paper_2024_acrobot_advantage_within_noise_is_not_applicable():
    """The paper-2024 oracle beat random once in 10 Acrobot episodes (-468 vs -500): 3.2 +- 3.2 is no
    denominator; the exact model's -495 would have shown a normalised return of 1.56."""
    random, oracle = [-500.0] * 10, [-500.0] * 5 + [-468.0] + [-500.0] * 4
    assert advantage_standard_error(random, oracle) == pytest.approx(3.2)
    result = normalised_return(-495.0, random, oracle, env_id="Acrobot-v1")
    assert result == NotApplicable("oracle not measurably better than random on Acrobot-v1: advantage -496.8 - (-500) = "
                                   "3.2 <= 2 x standard error 3.2")


@pytest.mark.parametrize("margin, defined", [(-1e-9, False), (1e-9, True)])
def test_the_rule_is_k_standard_errors_of_the_difference(margin, defined):
    random = [-1.0, 1.0]  # mean 0; the oracle has the same spread: pooled sd sqrt(2), standard error sqrt(2)
    advantage = ADVANTAGE_MIN_STANDARD_ERRORS * math.sqrt(2.0) + margin
    oracle = [advantage - 1.0, advantage + 1.0]
    assert advantage_standard_error(random, oracle) == pytest.approx(math.sqrt(2.0))
    assert isinstance(reference_advantage(random, oracle), float) is defined


def test_standard_error_is_welchs_for_equal_counts_and_pooled_for_a_single_episode():
    random, oracle = [1.0, 2.0, 3.0], [4.0, 6.0, 8.0]  # variances 1 and 4
    assert advantage_standard_error(random, oracle) == pytest.approx(math.sqrt(1 / 3 + 4 / 3))
    # One oracle episode has no spread of its own: the pooled sd is the random policy's (1 here).
    assert advantage_standard_error(random, [10.0]) == pytest.approx(math.sqrt(1 / 3 + 1))
    assert math.isnan(advantage_standard_error([0.0], [10.0]))
    too_few = reference_advantage([0.0], [10.0], env_id="Ant-v5")
    assert isinstance(too_few, NotApplicable) and "too few reference episodes on Ant-v5" in too_few.reason


def test_every_cwmb_v1_env_has_a_measurable_oracle_advantage():
    references = json.loads((ROOT / "cwmb" / "references" / "cwmb-v1.json").read_text())
    for env_id in ENVIRONMENTS:
        advantage = reference_advantage(references[env_id]["random"]["returns"], references[env_id]["oracle"]["returns"],
                                        env_id=env_id)
        assert not isinstance(advantage, NotApplicable), advantage


@pytest.mark.parametrize("r_random, r_oracle, shown", [(None, [-30.3], "random=None"), ([-149.9], None, "oracle=None"),
                                                       ([float("nan")], [-30.3], "random=[nan]"),
                                                       ([], [-30.3], "random=[]"), (-149.9, [-30.3], "random=-149.9")])
def test_missing_references_raise_and_name_the_env(r_random, r_oracle, shown):
    message = f"reference returns missing for 'Pusher-v5': {shown} (per-episode returns expected); "
    with pytest.raises(ValueError, match=re.escape(message + "measure both under this protocol before normalising")):
        normalised_return(-60.0, r_random, r_oracle, env_id="Pusher-v5")


def test_model_return_must_be_a_number():
    message = "return of the world model on 'Ant-v5' must be a finite number, got None"
    with pytest.raises(ValueError, match=re.escape(message)):
        normalised_return(None, [0.0, 0.0], [1.0, 1.0], env_id="Ant-v5")


def test_bootstrap_is_deterministic_per_seed():
    values = np.random.default_rng(123).normal(size=50)
    first = bootstrap_ci(values, n_resamples=2000, seed=7)
    assert bootstrap_ci(values, n_resamples=2000, seed=7) == first  # exactly
    assert bootstrap_ci(values, n_resamples=2000, seed=np.random.default_rng(7)) == first
    assert bootstrap_ci(values, n_resamples=2000, seed=8) != first
    low, high = first
    assert low < values.mean() < high


def test_bootstrap_matches_a_plain_reference_loop():
    values = np.array([0.0, 0.25, 0.5, 1.0, 1.0])
    rng = np.random.default_rng(0)
    means = [values[rng.integers(0, 5, size=5)].mean() for _ in range(500)]
    expected = tuple(np.quantile(means, [0.05, 0.95]))
    assert bootstrap_ci(values, n_resamples=500, confidence=0.9, seed=0) == pytest.approx(expected)


def test_bootstrap_width():
    assert bootstrap_ci([0.3] * 10) == (pytest.approx(0.3), pytest.approx(0.3))
    narrow = bootstrap_ci(np.linspace(0, 1, 101), confidence=0.5)
    wide = bootstrap_ci(np.linspace(0, 1, 101), confidence=0.99)
    assert wide[0] < narrow[0] < 0.5 < narrow[1] < wide[1]


@pytest.mark.parametrize(
    "kwargs, message",
    [({"values": []}, "bootstrap_ci needs at least one value"),
     ({"values": [1.0, float("nan")]}, "bootstrap_ci needs finite values, got [nan]"),
     ({"values": [1.0], "n_resamples": 0}, "n_resamples must be >= 1, got 0"),
     ({"values": [1.0], "confidence": 1.0}, "confidence must be in (0, 1), got 1.0")],
)
def test_bootstrap_errors(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        bootstrap_ci(**kwargs)


KINDS = {"A": "discrete", "B": "discrete", "C": "discrete", "D": "continuous", "E": "continuous"}
NA = NotApplicable("oracle no better than random")
PER_ENV = {"A": 1.0, "B": None, "C": NA, "D": 0.5, "E": None}


def test_aggregate_paper_rules():
    result = aggregate(PER_ENV, KINDS, "paper-2024")
    assert set(result) == {"discrete", "continuous"}
    discrete, continuous = result["discrete"], result["continuous"]
    assert (discrete.mean, discrete.n_envs, discrete.ci) == (0.5, 2, None)  # (1 + 0) / 2: C left out
    assert (discrete.counted_as_zero, discrete.not_applicable) == (("B",), ("C",))
    assert (continuous.mean, continuous.n_envs, continuous.counted_as_zero) == (0.25, 2, ("E",))  # (0.5 + 0) / 2


def test_aggregate_v1_counts_every_env_and_adds_intervals():
    result = aggregate(PER_ENV, KINDS, "cwmb-v1", n_resamples=1000)
    assert result["discrete"].mean == pytest.approx((1.0 + 0.0 + 0.0) / 3)  # N/A counts 0 under cwmb-v1
    assert result["all"].mean == pytest.approx((1.0 + 0.0 + 0.0 + 0.5 + 0.0) / 5)
    assert (result["all"].n_envs, result["all"].not_applicable) == (5, ("C",))
    assert result["all"].counted_as_zero == ("B", "E")
    for group in result.values():
        low, high = group.ci
        assert low <= group.mean <= high
    assert aggregate(PER_ENV, KINDS, "cwmb-v1", n_resamples=1000) == result  # deterministic (seed 0)


@pytest.mark.parametrize("protocol", ["cwmb-v1", "paper-2024"])
def test_a_group_with_an_unmeasured_env_has_no_mean(protocol):
    """An oracle row with 4 of 12 continuous envs computed is not 0.33 of itself."""
    per_env = {"A": 1.0, "B": 1.0, "C": NotMeasured("3 of 10 episodes computed"), "D": 1.0, "E": None}
    result = aggregate(per_env, KINDS, protocol, n_resamples=10)
    assert (result["discrete"].mean, result["discrete"].ci, result["discrete"].not_measured) == (None, None, ("C",))
    assert result["continuous"].mean == 0.5  # measured: D 1.0 and E failed (0)


def test_aggregate_all_not_applicable():
    group = aggregate({"A": NA}, {"A": "discrete"}, "paper-2024")["discrete"]
    assert (group.mean, group.n_envs, group.ci) == (None, 0, None)
    assert aggregate({"A": NA}, {"A": "discrete"}, "cwmb-v1", n_resamples=10)["discrete"].mean == 0.0


@pytest.mark.parametrize(
    "per_env, kinds, protocol, message",
    [(PER_ENV, KINDS, "v1", "unknown protocol 'v1'; use one of cwmb-v1, paper-2024"),
     ({"A": 1.0}, {"A": "discrete", "B": "continuous"}, "cwmb-v1",
      "no value for B: give every environment a value (None if it failed)"),
     ({"A": 1.0, "Z": 1.0}, {"A": "discrete"}, "cwmb-v1", "unknown environments Z; known: A"),
     ({"A": 1.0}, {"A": "box"}, "cwmb-v1", "env kinds must be 'discrete' or 'continuous', got {'A': 'box'}"),
     ({"A": math.nan}, {"A": "discrete"}, "paper-2024",
      "value for A must be a finite number, None, NotApplicable or NotMeasured, got nan")],
)
def test_aggregate_errors(per_env, kinds, protocol, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        aggregate(per_env, kinds, protocol)


@needs_paper
@pytest.mark.parametrize("method", ["gif-mcts", "worldcoder"])
def test_aggregate_reproduces_paper_table2_from_table11(method):
    """GPT-4 Turbo (one seed): Table 2's means follow from Table 11's per-env values by the paper's rules."""
    paper = json.loads(PAPER_RESULTS.read_text())
    kinds = {record.paper_id: record.action_kind for record in ENVIRONMENTS.values()}
    [per_env] = [r for r in paper["cwmb_per_env_tables10_11"] if r["model"] == "gpt-4-turbo" and r["method"] == method]
    [table2] = [r for r in paper["cwmb_aggregate_table2"] if r["model"] == "gpt-4-turbo" and r["method"] == method]
    accuracy = {env: v["accuracy"] for env, v in per_env["envs"].items()}
    returns = {
        env: NA if v["normalized_return"] is None else v["normalized_return"] for env, v in per_env["envs"].items()
    }
    acc = aggregate(accuracy, kinds, "paper-2024")
    ret = aggregate(returns, kinds, "paper-2024")
    assert round(acc["discrete"].mean, 2) == table2["discrete_accuracy"][0]
    assert round(acc["continuous"].mean, 2) == table2["continuous_accuracy"][0]
    assert round(ret["discrete"].mean, 2) == table2["discrete_return"][0]
    assert round(ret["continuous"].mean, 2) == table2["continuous_return"][0]
    assert ret["discrete"].not_applicable == ("MountainCar-v0", "Acrobot-v1")
    assert ret["continuous"].n_envs == 12
