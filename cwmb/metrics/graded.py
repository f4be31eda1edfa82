"""Graded errors of a code world model: how far off it is, not only whether it is within tolerance.

The protocols' accuracy is pass/fail per transition (`allclose(1e-5)` for floats), so a good
approximation of a physics env (a constant off by 2 %) scores like doing nothing, and `done` hands
every model a free third on envs that never terminate. These numbers are reported beside it, never
instead of it, on the same transitions, and are the same under every protocol:

- **state error** (one step): for vector states, 1 - R² of the predicted state change
  Δs = s' - s: per dimension, the mean squared error of the predicted change divided by the
  variance of the true change, then averaged over dimensions. 0 is exact; predicting the mean
  change scores 1; predicting no change scores 1 + mean² / variance (≈ 1 when the changes average
  out); it has no upper bound. A **constant dimension** (the true change's variance at most
  `CONSTANT_VARIANCE`, the square of cwmb-v1's tolerance: below what accuracy can resolve) has no
  variance to normalise by and is left out of the average (`constant_state_dims` lists them;
  accuracy still checks them). Discrete states (Taxi, CliffWalking, Blackjack: integer
  observations) keep exact match: the error is the fraction of next states that differ.
- **reward error**: 1 - R² of the reward (MSE over the variance of the true reward); None (N/A)
  when the split's reward is constant (CartPole, MountainCar).
- **termination**: plain accuracy and balanced accuracy of `done` against `terminated` (the mean of
  the rates on terminal and on non-terminal transitions: always-False scores 0.5, not 0.99); the
  balanced one is None (N/A) when the split has no terminal transition (or only terminal ones).
- **open-loop rollout error** at k = `ROLLOUT_HORIZONS` steps: from dataset states every
  `ROLLOUT_STRIDE` steps of each episode, the model steps through the recorded actions on its own
  predictions (one `set_state`, then only `step`), stopping when it says done; its k-th state is
  compared with the recorded one, within the episode (a start counts at k when the recorded
  episode lasts k more steps). The error at k is the state error above applied to
  s_{t+k} - s_t over the starts that reach k, so at k = 1 it is the one-step error on those starts
  only. A stride of 10 with horizon 20 covers every recorded transition by two rollouts.

**No prediction counts as the static baseline's answer** (`submissions/baseline-static/`: next
state = state, reward 0, not done): a failed transition, and each step of a rollout after the model
failed or stopped (its last predicted state is held). A model that fails everywhere therefore gets
exactly the static baseline's graded numbers, never a crash or a NaN; the failures themselves are
counted (`n_failed`, rollout `failures`) and cost the full score in the protocol's accuracy. (A model
could lower its graded error by raising where it would predict worse than no change; the accuracy
and the failure counts show that.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cwmb.dataset.load import Transitions
from cwmb.metrics.compare import CWMB_V1_ATOL

#: Bumped whenever a definition above changes: a result's numbers are comparable only within one.
GRADED_REVISION = 1
ROLLOUT_HORIZONS = (1, 5, 10, 20)
ROLLOUT_STRIDE = 10
CONSTANT_VARIANCE = CWMB_V1_ATOL**2
#: State errors are 1 - R² for vector states and the fraction of wrong next states for discrete ones.
STATE_METRICS = {"vector": "1-R2", "discrete": "mismatch"}


def rollout_plan(transitions: Transitions, stride: int = ROLLOUT_STRIDE,
                 horizon: int = max(ROLLOUT_HORIZONS)) -> dict[int, int]:
    """Rollout starts of a split: row index -> recorded steps to follow (at most `horizon`).

    A rollout starts at every `stride`-th step of each episode (steps 0, stride, 2 stride, ...) and
    follows the recorded actions to the episode's end or `horizon` steps, whichever comes first.
    Rows of an episode are assumed in time order, as in the dataset.
    """
    episodes = np.asarray(transitions.episode)
    plan: dict[int, int] = {}
    first = 0
    for end in [*np.flatnonzero(episodes[1:] != episodes[:-1]) + 1, len(episodes)]:
        for start in range(first, end, stride):
            plan[start] = min(horizon, end - start)
        first = end
    return plan


def normalised_squared_error(true_change: np.ndarray, predicted_change: np.ndarray) -> tuple[float | None, list[int]]:
    """(1 - R² averaged over the non-constant columns, the constant columns); None when none is left.

    Column d scores mean((predicted - true)²) / var(true); a column whose true variance is at most
    `CONSTANT_VARIANCE` is constant and left out. Fewer than 2 rows: (None, []).
    """
    true_change = np.asarray(true_change, dtype=np.float64).reshape(len(true_change), -1)
    predicted_change = np.asarray(predicted_change, dtype=np.float64).reshape(true_change.shape)
    if len(true_change) < 2:
        return None, []
    variance = true_change.var(axis=0)
    varying = variance > CONSTANT_VARIANCE
    constant = np.flatnonzero(~varying).tolist()
    if not varying.any():
        return None, constant
    squared = ((predicted_change - true_change)[:, varying] ** 2).mean(axis=0)
    return float(np.mean(squared / variance[varying])), constant


def balanced_accuracy(truth: np.ndarray, predicted: np.ndarray) -> float | None:
    """Mean of the hit rates on true and on false rows; None when either class is empty."""
    truth, predicted = np.asarray(truth, dtype=bool), np.asarray(predicted, dtype=bool)
    if truth.all() or not truth.any():
        return None
    return float((np.mean(predicted[truth]) + np.mean(~predicted[~truth])) / 2)


def _state_rows(states: Sequence[Any]) -> np.ndarray:
    """Native states (arrays, ints, tuples of ints) as float64 rows (integers are exact in float64)."""
    return np.array([np.asarray(s, dtype=np.float64).reshape(-1) for s in states])


def _state_error(discrete: bool, start: np.ndarray, truth: np.ndarray, predicted: np.ndarray
                 ) -> tuple[float | None, list[int]]:
    """The state error of rows of states reached from `start` (see the module docstring)."""
    if not len(truth):
        return None, []
    if discrete:
        return float(np.mean((predicted != truth).any(axis=1))), []
    return normalised_squared_error(truth - start, predicted - start)


def one_step_errors(transitions: Transitions, predictions: Sequence[Any]) -> dict[str, Any]:
    """The one-step graded numbers of a split (`predictions` as for `score_v1`: None = failed)."""
    discrete = transitions.record.exact_state
    start = _state_rows(transitions.obs)
    truth = _state_rows(transitions.next_obs)
    predicted, rewards = start.copy(), np.zeros(len(transitions))  # failed rows: the static answer
    dones = np.zeros(len(transitions), dtype=bool)
    failed = 0
    for i, prediction in enumerate(predictions):
        if prediction is None:
            failed += 1
            continue
        next_state, reward, done = prediction
        predicted[i] = np.asarray(next_state, dtype=np.float64).reshape(-1)
        rewards[i], dones[i] = float(reward), bool(done)
    state_error, constant = _state_error(discrete, start, truth, predicted)
    reward_error, _ = normalised_squared_error(transitions.reward[:, None], rewards[:, None])
    terminated = np.asarray(transitions.terminated, dtype=bool)
    return {
        "state_metric": STATE_METRICS["discrete" if discrete else "vector"],
        "state_error": state_error,
        "constant_state_dims": constant,
        "reward_error": reward_error,
        "done_accuracy": float(np.mean(dones == terminated)) if len(terminated) else None,
        "done_balanced_accuracy": balanced_accuracy(terminated, dones),
        "n_terminal": int(terminated.sum()),
        "n_transitions": len(transitions),
        "n_failed": failed,
    }


def rollout_errors(transitions: Transitions, plan: Mapping[int, int],
                   trajectories: Mapping[int, Any], horizons: Sequence[int] = ROLLOUT_HORIZONS
                   ) -> dict[str, Any]:
    """The open-loop state error at each of `horizons`.

    `trajectories[start]` is what the model predicted from that start (a `cwmb.sandbox.Trajectory`:
    its `states`), None or absent where the rollout failed.
    """
    discrete = transitions.record.exact_state
    errors, counts = [], []
    for k in horizons:
        starts = [s for s, steps in plan.items() if steps >= k]
        begin = _state_rows([transitions.obs[s] for s in starts]) if starts else np.zeros((0, 0))
        truth = _state_rows([transitions.next_obs[s + k - 1] for s in starts]) if starts else begin
        predicted = begin.copy()
        for row, s in enumerate(starts):
            trajectory = trajectories.get(s)
            if trajectory is not None and trajectory.states:  # held: its last state if it stopped before k
                predicted[row] = np.asarray(trajectory.states[min(k, len(trajectory.states)) - 1],
                                            dtype=np.float64).reshape(-1)
        errors.append(_state_error(discrete, begin, truth, predicted)[0])
        counts.append(len(starts))
    return {"horizons": list(horizons), "state_error": errors, "n_starts": counts}


def graded_errors(transitions: Transitions, predictions: Sequence[Any], plan: Mapping[int, int] | None = None,
                  trajectories: Mapping[int, Any] | None = None,
                  rollout_failures: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The `graded` block of a split in a result (`cwmb.results`): one-step numbers, and the
    rollout errors when a rollout `plan` was run (`trajectories` by start row as for `rollout_errors`)."""
    block = {"revision": GRADED_REVISION, **one_step_errors(transitions, predictions), "rollout": None}
    if plan is not None:
        block["rollout"] = {
            "stride": ROLLOUT_STRIDE,
            **rollout_errors(transitions, plan, trajectories or {}),
            "n_rollouts": len(plan),
            "n_failed": sum((rollout_failures or {}).values()),
            "failures": dict(rollout_failures or {}),
        }
    return block
