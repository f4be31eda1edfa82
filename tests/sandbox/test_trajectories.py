"""Open-loop rollouts in the sandbox (`SandboxedWorldModel.trajectories`, the worker's "trajectories"
command) and their place in the time-ordered stream: each failure is a rollout's own, with its
category; a rollout from s_t is requested before any later state of its episode is sent."""

from __future__ import annotations

import time

import numpy as np
import pytest

from cwmb.dataset.load import load_transitions
from cwmb.evaluate import predict_split
from cwmb.metrics.graded import rollout_errors
from cwmb.sandbox import Failure, Trajectory
from cwmb.sandbox.client import _Process
from tests.sandbox.test_sandbox import cartpole_states, sandbox


def test_exact_model_follows_the_recorded_episode():
    transitions = load_transitions("CartPole-v1", "test")
    end = int(np.flatnonzero(transitions.terminated)[0]) + 1  # the first episode, to its termination
    with sandbox("good_cartpole", path=None) as model:
        (trajectory,) = model.trajectories([transitions.obs[0]], [transitions.action[0 : end + 5]])
    assert isinstance(trajectory, Trajectory) and len(trajectory.states) == end and trajectory.done
    assert trajectory.states[0].dtype == np.float32
    np.testing.assert_allclose(np.array(trajectory.states), np.array(transitions.next_obs[:end]), atol=1e-5)
    np.testing.assert_array_equal(trajectory.rewards, np.ones(end))


def test_a_rollout_stops_where_the_model_says_done():
    with sandbox("stop_after_two") as model:
        results = model.trajectories(cartpole_states(2), [[0] * 5, [1]])
    assert [len(r.states) for r in results] == [2, 1] and [r.done for r in results] == [True, False]
    np.testing.assert_array_equal(results[0].rewards, [1.0, 2.0])


@pytest.mark.parametrize(
    ("name", "category", "message"),
    [
        ("raise_in_step", "exception", "ValueError: cannot push right"),
        ("nan_output", "bad_output", "next_state contains NaN or inf"),
        ("os_exit", "crash", "exited with status 3"),
        ("forge_reply", "crash", "malformed message"),
    ],
)
def test_a_failing_rollout_is_its_own_failure(name, category, message):
    with sandbox(name) as model:
        results = model.trajectories(cartpole_states(3), [[0, 0, 0], [0, 0, 1, 0], [0, 0]])
    assert isinstance(results[0], Trajectory) and isinstance(results[2], Trajectory)
    assert [len(results[0].states), len(results[2].states)] == [3, 2]
    assert isinstance(results[1], Failure) and results[1].category == category and message in results[1].message


def test_mismatched_inputs_are_the_callers_error():
    with sandbox("good_increment", path=None) as model, pytest.raises(ValueError, match="one action sequence per state"):
        model.trajectories(cartpole_states(2), [[0]])


def test_each_rollout_is_sent_before_any_later_state_of_its_episode(monkeypatch):
    transitions = load_transitions("CartPole-v1", "test")
    row_of = {np.asarray(s).tobytes(): i for i, s in enumerate(transitions.obs)}
    sent: list[tuple[str, list[int]]] = []
    original = _Process.send

    def logged(self, command, payload, deadline, reason):
        if command in ("predict", "trajectories"):
            sent.append((command, [row_of[np.asarray(s).tobytes()] for s in payload["states"]]))
        return original(self, command, payload, deadline, reason)

    monkeypatch.setattr(_Process, "send", logged)
    with sandbox("good_cartpole", path=None) as model:
        predicted = predict_split(model, transitions, rollouts=True)
    assert sum(len(rows) for command, rows in sent if command == "trajectories") == len(predicted.rollout_plan)
    latest: dict[int, int] = {}  # episode -> latest step sent so far
    for command, rows in sent:
        for row in rows:
            episode, step = int(transitions.episode[row]), int(transitions.step[row])
            if command == "trajectories":
                assert latest[episode] == step, "a rollout from a state older than its episode's latest"
            latest[episode] = max(latest.get(episode, -1), step)


def test_memorised_states_give_nothing_to_open_loop_rollouts():
    transitions = load_transitions("CartPole-v1", "test")

    def k_step_errors(name, *, streamed=True):
        with sandbox(name, step_timeout=2.0) as model:
            if streamed:
                predicted = predict_split(model, transitions, rollouts=True)
                return rollout_errors(transitions, predicted.rollout_plan, predicted.trajectories)["state_error"]
            # The other design: rollouts after the whole split has been shown to the worker.
            plan = predict_split(model, transitions, rollouts=True).rollout_plan
            starts = list(plan)
            results = model.trajectories([transitions.obs[s] for s in starts],
                                         [transitions.action[s : s + plan[s]] for s in starts])
            return rollout_errors(transitions, plan, dict(zip(starts, results)))["state_error"]

    streamed = k_step_errors("memorise_states")
    assert all(e > 1e-4 for e in streamed)  # an approximate model, honestly scored
    # After the whole split, the same cheat follows the recorded episodes: the attack is real.
    assert all(e < s / 100 for e, s in zip(k_step_errors("memorise_states", streamed=False), streamed))


def test_rollouts_that_hang_end_the_rollouts_as_they_end_predict(tmp_path):
    # Answers one step from a given state, then hangs: only open-loop rollouts hang, every one of them.
    path = tmp_path / "hang_on_second_step.py"
    path.write_text("class Environment:\n"
                    "    def set_state(self, state):\n        self.state, self.fresh = state, True\n"
                    "    def step(self, action):\n        while not self.fresh:\n            pass\n"
                    "        self.fresh = False\n        return self.state, 1.0, False\n")
    transitions = load_transitions("CartPole-v1", "test")
    with sandbox("", path=path, step_timeout=0.5) as model:
        started = time.monotonic()
        predicted = predict_split(model, transitions, rollouts=True)
        seconds = time.monotonic() - started
    assert predicted.failures == {} and predicted.rollout_failures == {"timeout": len(predicted.rollout_plan)}
    assert seconds < 20, f"{seconds:.0f} s: the timeouts did not end the rollouts"  # 193 rollouts x 0.5 s without
