"""Graded errors (`cwmb.metrics.graded`) on the recorded data and on hand-built cases: 1 - R² per
dimension, constant dimensions, the static answer for failures, balanced termination, rollout plans."""

import numpy as np
import pytest

from cwmb.dataset.load import load_transitions
from cwmb.metrics.graded import (
    CONSTANT_VARIANCE,
    balanced_accuracy,
    graded_errors,
    normalised_squared_error,
    one_step_errors,
    rollout_errors,
    rollout_plan,
)
from cwmb.sandbox import Trajectory
from tests.metrics.test_accuracy import make


def recorded(transitions):
    """The predictions of a model that is right everywhere."""
    return [(s, r, d) for s, r, d in zip(transitions.next_obs, transitions.reward, transitions.terminated)]


def static(transitions):
    """The predictions of `submissions/baseline-static`: nothing changes, reward 0, never done."""
    return [(s, 0.0, False) for s in transitions.obs]


def test_exact_changes_score_zero_and_the_mean_change_scores_one():
    rng = np.random.default_rng(0)
    true = rng.normal(size=(500, 3)) * [1.0, 10.0, 0.01]
    assert normalised_squared_error(true, true) == (0.0, [])
    error, constant = normalised_squared_error(true, np.broadcast_to(true.mean(axis=0), true.shape))
    assert error == pytest.approx(1.0) and constant == []
    # Per dimension, then averaged: a dimension 1000x smaller weighs the same.
    half_wrong = true.copy()
    half_wrong[:, 2] = true[:, 2].mean()
    assert normalised_squared_error(true, half_wrong)[0] == pytest.approx(1 / 3)


def test_constant_dimensions_are_left_out_and_listed():
    rng = np.random.default_rng(1)
    true = np.column_stack([rng.normal(size=100), np.full(100, 0.5), rng.normal(size=100)])
    predicted = true.copy()
    predicted[:, 1] += 3.0  # wrong on the constant dimension: accuracy sees it, 1 - R² cannot
    assert normalised_squared_error(true, predicted) == (0.0, [1])
    tiny = np.sqrt(CONSTANT_VARIANCE) / 10 * rng.normal(size=(100, 1))
    assert normalised_squared_error(tiny, np.zeros_like(tiny)) == (None, [0])
    assert normalised_squared_error(true[:1], true[:1]) == (None, [])


def test_termination_earns_no_free_credit():
    terminated = np.array([False] * 99 + [True])
    assert balanced_accuracy(terminated, np.zeros(100, dtype=bool)) == 0.5  # plain accuracy: 0.99
    assert balanced_accuracy(terminated, terminated) == 1.0
    assert balanced_accuracy(terminated, ~terminated) == 0.0
    assert balanced_accuracy(np.zeros(5, dtype=bool), np.zeros(5, dtype=bool)) is None


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Pendulum-v1", "Taxi-v4", "Acrobot-v1"])
def test_recorded_and_static_predictions_on_the_data(env_id):
    transitions = load_transitions(env_id, "test")
    exact = one_step_errors(transitions, recorded(transitions))
    assert exact["state_error"] == 0.0 and exact["reward_error"] in (0.0, None)
    assert exact["done_accuracy"] == 1.0 and exact["done_balanced_accuracy"] in (1.0, None)
    floor = one_step_errors(transitions, static(transitions))
    if transitions.record.exact_state:  # mismatch: the fraction of transitions that change the state
        changed = np.mean([a != b for a, b in zip(transitions.obs, transitions.next_obs)])
        assert floor["state_metric"] == "mismatch" and floor["state_error"] == pytest.approx(changed)
    else:
        assert floor["state_metric"] == "1-R2" and 0.99 < floor["state_error"] < 1.05
    assert floor["done_balanced_accuracy"] in (0.5, None)


def test_a_failed_transition_counts_as_the_static_answer():
    transitions = load_transitions("CartPole-v1", "test")
    assert one_step_errors(transitions, [None] * len(transitions)) == {
        **one_step_errors(transitions, static(transitions)), "n_failed": len(transitions)}
    half = [p if i % 2 else None for i, p in enumerate(recorded(transitions))]
    error = one_step_errors(transitions, half)["state_error"]
    assert 0.3 < error < 0.7


def test_balanced_termination_is_none_without_terminal_transitions():
    transitions = load_transitions("Pendulum-v1", "test")
    assert not transitions.terminated.any()
    numbers = one_step_errors(transitions, recorded(transitions))
    assert numbers["done_balanced_accuracy"] is None and numbers["n_terminal"] == 0


def test_rollouts_start_every_stride_steps_and_stay_in_their_episode():
    split = make("CartPole-v1", [np.zeros(4, np.float32)] * 7, [1.0] * 7, [False] * 7)
    split.episode[:] = [0, 0, 0, 0, 0, 1, 1]
    assert rollout_plan(split, stride=2, horizon=3) == {0: 3, 2: 3, 4: 1, 5: 2}
    transitions = load_transitions("CartPole-v1", "test")
    plan = rollout_plan(transitions)
    for start, steps in plan.items():
        rows = transitions.episode[start : start + steps]
        assert (rows == rows[0]).all() and transitions.step[start] % 10 == 0 and 1 <= steps <= 20


def test_rollout_errors_hold_the_last_state_and_treat_failures_as_static():
    transitions = load_transitions("MountainCar-v0", "test")
    plan = rollout_plan(transitions)
    truth = {s: Trajectory(transitions.next_obs[s : s + n], transitions.reward[s : s + n], False)
             for s, n in plan.items()}
    assert rollout_errors(transitions, plan, truth)["state_error"] == [0.0] * 4
    failed = rollout_errors(transitions, plan, {})
    stayed = {s: Trajectory([transitions.obs[s]] * n, np.zeros(n), False) for s, n in plan.items()}
    assert failed == rollout_errors(transitions, plan, stayed)
    assert all(0.9 < e < 1.3 for e in failed["state_error"])
    # A model that stops after 5 steps keeps its 5th state: exact up to 5, off beyond.
    stopped = {s: Trajectory(t.states[:5], t.rewards[:5], True) for s, t in truth.items()}
    errors = rollout_errors(transitions, plan, stopped)["state_error"]
    assert errors[:2] == [0.0, 0.0] and 0 < errors[2] < errors[3]


def test_the_result_block_counts_rollouts_and_their_failures():
    transitions = load_transitions("CartPole-v1", "test")
    plan = rollout_plan(transitions)
    block = graded_errors(transitions, recorded(transitions), plan, {}, {"exception": len(plan)})
    assert block["rollout"]["n_rollouts"] == len(plan) == block["rollout"]["n_failed"]
    assert block["rollout"]["failures"] == {"exception": len(plan)}
    assert block["rollout"]["n_starts"][0] == len(plan)
    assert graded_errors(transitions, recorded(transitions))["rollout"] is None
