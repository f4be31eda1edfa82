"""The graded metrics through the whole harness (`evaluate_env`, sandbox included) tell exact,
approximate and do-nothing world models apart, where the protocol's accuracy cannot.

Exact models (`submissions/exact/`) score 0 at one step and at every rollout horizon on the
deterministic envs (up to float32 rounding of the recorded states: below 1e-9); the static baseline
scores about 1; exact models perturbed as an LLM would get them wrong (a constant off by 2 %, the
reward computed from the wrong state) land strictly between, on the part they got wrong only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cwmb.evaluate import evaluate_env
from cwmb.metrics.graded import ROLLOUT_HORIZONS

SUBMISSIONS = Path(__file__).resolve().parents[2] / "submissions"
DETERMINISTIC = ["CliffWalking-v1", "Taxi-v4", "CartPole-v1", "MountainCar-v0", "Acrobot-v1", "Pendulum-v1"]
EXACT = 1e-9


def graded(path: Path, env_id: str) -> tuple[dict, dict]:
    """(cwmb-v1 test accuracy entry, graded block) of one world model file."""
    entry = evaluate_env(str(path), env_id, "cwmb-v1", skip_planning=True, splits=("test",))
    return entry["accuracy"]["test"], entry["graded"]["test"]


def perturbed(tmp_path: Path, env_id: str, old: str, new: str) -> Path:
    """The exact model of `env_id` with `old` replaced by `new` (the test fails if `old` is not there)."""
    source = (SUBMISSIONS / "exact" / f"{env_id}.py").read_text()
    assert source.count(old) == 1, f"the exact {env_id} model changed: update this perturbation"
    path = tmp_path / f"{env_id}.py"
    path.write_text(source.replace(old, new))
    return path


@pytest.mark.parametrize("env_id", DETERMINISTIC)
def test_exact_models_score_zero_at_every_horizon(env_id):
    accuracy, block = graded(SUBMISSIONS / "exact" / f"{env_id}.py", env_id)
    assert accuracy["accuracy"] == 1.0
    assert block["state_error"] < EXACT and (block["reward_error"] is None or block["reward_error"] < EXACT)
    assert block["done_accuracy"] == 1.0 and block["done_balanced_accuracy"] in (1.0, None)
    rollout = block["rollout"]
    assert rollout["horizons"] == list(ROLLOUT_HORIZONS) and rollout["n_failed"] == 0
    assert all(n > 50 for n in rollout["n_starts"])
    assert all(error < EXACT for error in rollout["state_error"])


@pytest.mark.parametrize("env_id", ["CartPole-v1", "MountainCar-v0", "Acrobot-v1", "Pendulum-v1"])
def test_the_static_baseline_scores_about_one(env_id):
    accuracy, block = graded(SUBMISSIONS / "baseline-static" / f"{env_id}.py", env_id)
    assert 0.98 < block["state_error"] < 1.05
    assert all(0.98 < error < 1.05 for error in block["rollout"]["state_error"])
    assert block["done_balanced_accuracy"] in (0.5, None)  # never done earns no credit


def test_a_constant_off_by_two_percent_lands_strictly_between(tmp_path):
    path = perturbed(tmp_path, "Pendulum-v1", "G, MASS, LENGTH, DT = 10.0,", "G, MASS, LENGTH, DT = 10.0 * 1.02,")
    accuracy, block = graded(path, "Pendulum-v1")
    assert accuracy["state_accuracy"] < 0.9  # the protocol sees it as wrong, like doing nothing
    assert EXACT < block["state_error"] < 0.01 and block["reward_error"] < EXACT
    errors = block["rollout"]["state_error"]
    assert all(EXACT < e < 0.5 for e in errors) and errors[-1] > errors[0]  # and it compounds


def test_a_constant_off_in_a_discrete_action_env_lands_strictly_between(tmp_path):
    path = perturbed(tmp_path, "CartPole-v1", "FORCE_MAG, TAU = 10.0, 0.02", "FORCE_MAG, TAU = 10.2, 0.02")
    _, block = graded(path, "CartPole-v1")
    assert EXACT < block["state_error"] < 0.01
    assert all(EXACT < e < 0.5 for e in block["rollout"]["state_error"])


def test_a_reward_from_the_wrong_state_lands_strictly_between(tmp_path):
    path = perturbed(tmp_path, "Pendulum-v1", "        return obs, -cost, False",
                     "        cost = angle_normalize(self.theta) ** 2 + 0.1 * self.theta_dot**2 + 0.001 * u**2\n"
                     "        return obs, -cost, False")
    accuracy, block = graded(path, "Pendulum-v1")
    assert accuracy["reward_accuracy"] < 0.1
    assert EXACT < block["reward_error"] < 0.5 and block["state_error"] < EXACT
    assert all(e < EXACT for e in block["rollout"]["state_error"])


def test_failed_transitions_and_rollouts_are_counted_and_scored_as_static():
    # Raises for action 1: about half the transitions and nearly every rollout fail.
    path = Path(__file__).resolve().parents[1] / "sandbox" / "hostile" / "raise_in_step.py"
    accuracy, block = graded(path, "CartPole-v1")
    assert block["n_failed"] == accuracy["n_failed"] > 0
    rollout = block["rollout"]
    assert rollout["failures"] == {"exception": rollout["n_failed"]} and rollout["n_failed"] > rollout["n_rollouts"] / 2
    assert 0.98 < block["state_error"] < 1.05  # what it returns is the static answer; failures count as it


def test_results_carry_the_graded_block_and_schema_1_still_loads(tmp_path):
    from cwmb.cli import summary_table
    from cwmb.evaluate import evaluate
    from cwmb.results import InvalidResult, RESULT_SCHEMA_VERSION, read_result, validate_result, write_result

    result = evaluate(SUBMISSIONS / "baseline-static", env_ids=["Pendulum-v1"], skip_planning=True, splits=("test",))
    assert result["schema_version"] == RESULT_SCHEMA_VERSION == 2
    block = read_result(write_result(result, tmp_path / "r.json"))["envs"]["Pendulum-v1"]["graded"]["test"]
    assert block["rollout"]["horizons"] == [1, 5, 10, 20] and 0.98 < block["state_error"] < 1.05
    assert f"{block['state_error']:.3g}" in summary_table(result).splitlines()[2]  # the summary's graded column
    old = {**result, "schema_version": 1, "envs": {e: {k: v for k, v in entry.items() if k != "graded"}
                                                   for e, entry in result["envs"].items()}}
    validate_result(old)
    result["envs"]["Pendulum-v1"]["graded"]["test"]["state_error"] = -1.0
    with pytest.raises(InvalidResult, match=r"envs.Pendulum-v1.graded.test: graded errors must be numbers >= 0 or null"):
        validate_result(result)
