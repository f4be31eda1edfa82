"""Transition accuracy of a code world model, under `cwmb-v1` and as the paper's code computed it.

Both scorers take the decoded split (`cwmb.dataset.load.Transitions`) and one prediction per
transition: a tuple ``(next_state, reward, done)`` in native types, or ``None`` when the world model
failed on that transition (raised, timed out, returned something that is not a 3-tuple). A failed
transition scores 0 on every component.

- `score_v1` (`cwmb-v1`, the default): plain mean over transitions of (state + reward + done) / 3,
  with stated tolerances and `done` meaning *termination*.
- `score_paper_2024` (`paper-2024`): the authors' `check_code_world_model`, reproduced rule for rule,
  pitfalls included (see its docstring).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cwmb.dataset.load import Transitions
from cwmb.metrics.compare import (
    CWMB_V1_ATOL,
    CWMB_V1_RTOL,
    PAPER_2024_ATOL,
    PAPER_2024_RTOL,
    dones_equal,
    elements_equal,
    rewards_equal,
    states_equal,
)

#: One prediction: ``(next_state, reward, done)`` or ``None`` for a failed transition.
Prediction = tuple[Any, Any, Any] | None

_MAX_VALUE_CHARS = 4000  # a hostile prediction must not turn an LLM prompt into megabytes


def _format_array(array: np.ndarray) -> str:
    if array.ndim == 0:
        return str(array[()])  # numpy's shortest repr for the dtype: float32 0.1 prints as 0.1
    return "[" + ", ".join(_format_array(row) for row in array) + "]"


def _format(value: Any) -> str:
    """A value for a person or an LLM to read: arrays in full as lists, tuples of plain numbers."""
    try:
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            text = _format_array(value)
        elif isinstance(value, np.generic):
            text = str(value)
        elif isinstance(value, (tuple, list)):
            inner = ", ".join(_format(v) for v in value)
            text = f"({inner}{',' if len(value) == 1 else ''})" if isinstance(value, tuple) else f"[{inner}]"
        else:
            text = repr(value)
    except Exception:  # an object whose repr raises
        text = f"<unprintable {type(value).__name__}>"
    return text if len(text) <= _MAX_VALUE_CHARS else text[:_MAX_VALUE_CHARS] + " ...(truncated)"


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist() if value.dtype.kind in "biuf" else _format(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return _format(value)


@dataclass(frozen=True)
class Misprediction:
    """One transition the world model got wrong, with everything an LLM needs to fix the code.

    The GIF-MCTS *improve* step shows one of these (`describe()`) next to the code.
    """

    index: int
    """Row of the transition in the split."""
    episode: int
    step: int
    state: Any
    """Input state given to `set_state`."""
    action: Any
    """Input action given to `step`."""
    expected_next_state: Any
    expected_reward: float
    expected_done: bool
    done_meaning: str
    """What `done` is checked against: "terminated" (cwmb-v1) or "terminated or truncated" (paper-2024)."""
    prediction: tuple[Any, Any, Any] | None
    """What the model returned; None when it failed on this transition."""
    wrong: tuple[str, ...]
    """Components that were wrong, among "next_state", "reward", "done"; ("failed",) for a failure."""
    wrong_state_elements: tuple[int, ...] = ()
    """Indices of wrong next-state elements, when the state is a vector or tuple."""

    def describe(self) -> str:
        """A readable text block: inputs, ground truth, prediction and what was wrong."""
        lines = [
            f"Transition {self.index} (episode {self.episode}, step {self.step})",
            "Inputs:",
            f"  State: {_format(self.state)}",
            f"  Action: {_format(self.action)}",
            "Ground truth:",
            f"  Next state: {_format(self.expected_next_state)}",
            f"  Reward: {_format(float(self.expected_reward))}",
            f"  Done ({self.done_meaning}): {bool(self.expected_done)}",
        ]
        if self.prediction is None:
            lines += ["Prediction: none (the model raised, timed out or returned a malformed value)"]
        else:
            next_state, reward, done = self.prediction
            lines += [
                "Prediction:",
                f"  Next state: {_format(next_state)}",
                f"  Reward: {_format(reward)}",
                f"  Done: {_format(done)}",
            ]
            wrong = [
                f"next state (elements {', '.join(map(str, self.wrong_state_elements))})"
                if w == "next_state" and self.wrong_state_elements
                else w.replace("_", " ")
                for w in self.wrong
            ]
            lines.append(f"Wrong: {', '.join(wrong)}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (arrays as lists)."""
        return {
            "index": self.index,
            "episode": self.episode,
            "step": self.step,
            "state": _jsonable(self.state),
            "action": _jsonable(self.action),
            "expected": {
                "next_state": _jsonable(self.expected_next_state),
                "reward": float(self.expected_reward),
                "done": bool(self.expected_done),
                "done_meaning": self.done_meaning,
            },
            "prediction": None if self.prediction is None else [_jsonable(v) for v in self.prediction],
            "wrong": list(self.wrong),
            "wrong_state_elements": list(self.wrong_state_elements),
        }


@dataclass(frozen=True)
class AccuracyResult:
    """Transition accuracy of one world model on one split, under one protocol."""

    protocol: str
    """"cwmb-v1" or "paper-2024"."""
    env_id: str
    accuracy: float
    """The headline number: mean per-transition score (paper-2024: reward-class weighted)."""
    state_accuracy: float | None
    """Fraction of next states right (paper-2024: mean per-element credit over non-terminal
    transitions, unweighted; None when every transition is terminal)."""
    reward_accuracy: float
    """Fraction of rewards right (unweighted)."""
    done_accuracy: float
    """Fraction of done flags right (unweighted)."""
    fully_correct: float
    """Fraction of transitions with every scored component right."""
    n_transitions: int
    n_failed: int
    """Transitions on which the model gave no prediction (scored 0)."""
    mispredictions: tuple[Misprediction, ...]
    """The first few wrong transitions, in split order."""
    scores: np.ndarray = field(repr=False, compare=False)
    """Per-transition score in [0, 1]."""
    weights: np.ndarray = field(repr=False, compare=False)
    """Per-transition weight (sums to 1); `accuracy` = sum(weights * scores)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the per-transition arrays)."""
        return {
            "protocol": self.protocol,
            "env_id": self.env_id,
            "accuracy": self.accuracy,
            "state_accuracy": self.state_accuracy,
            "reward_accuracy": self.reward_accuracy,
            "done_accuracy": self.done_accuracy,
            "fully_correct": self.fully_correct,
            "n_transitions": self.n_transitions,
            "n_failed": self.n_failed,
            "mispredictions": [m.to_dict() for m in self.mispredictions],
        }


def _unpack(prediction: Any) -> tuple[Any, Any, Any] | None:
    """A prediction as a 3-tuple, or None when the model failed or returned something else."""
    if isinstance(prediction, (tuple, list)) and len(prediction) == 3:
        return tuple(prediction)
    return None


@dataclass(frozen=True)
class _PlainRows:
    """Predictions in the form a sandboxed world model returns, stacked so numpy can score them at once.

    A plain row is ``(ndarray, float, bool)`` whose array has the expected shape and the dtype of the
    first such row, on an env with vector observations. Scoring these with array operations gives the
    same booleans as the one-by-one comparators (`np.isclose` is what `np.allclose` applies per
    element, in the same dtypes); every other row (`others`) goes through the comparators.
    """

    rows: np.ndarray
    others: list[int]
    states: np.ndarray
    rewards: np.ndarray
    dones: np.ndarray

    @classmethod
    def of(cls, transitions: Transitions, predictions: list[Any]) -> _PlainRows:
        n = len(predictions)
        first = next((p[0] for p in predictions if type(p) is tuple and len(p) == 3 and type(p[0]) is np.ndarray), None)
        if transitions.record.observation_kind != "vector" or first is None or first.dtype.kind not in "biuf":
            return cls(np.zeros(0, dtype=np.int64), list(range(n)), np.zeros((0, 0)), np.zeros(0), np.zeros(0, dtype=bool))
        shape, dtype = transitions.next_obs[0].shape, first.dtype
        plain = [type(p) is tuple and len(p) == 3 and type(p[0]) is np.ndarray and p[0].shape == shape
                 and p[0].dtype == dtype and type(p[1]) is float and type(p[2]) is bool for p in predictions]
        rows = np.flatnonzero(plain)
        others = np.flatnonzero(~np.asarray(plain, dtype=bool)).tolist()
        chosen = [predictions[i] for i in rows.tolist()]
        # np.array, not np.stack: several times faster on many small rows.
        states = np.array([p[0] for p in chosen]).reshape(len(rows), -1) if chosen else np.zeros((0, 0), dtype)
        return cls(rows, others, states, np.array([p[1] for p in chosen], dtype=np.float64),
                   np.array([p[2] for p in chosen], dtype=bool))

    def element_ok(self, transitions: Transitions, *, exact: bool, rtol: float, atol: float) -> np.ndarray:
        """Per row and state element, whether the prediction matches the expected next state."""
        expected = transitions.next_obs_matrix[self.rows]
        if exact:
            return self.states == expected
        with np.errstate(invalid="ignore", over="ignore"):
            return np.isclose(self.states, expected, rtol=rtol, atol=atol, equal_nan=False)

    def rewards_ok(self, transitions: Transitions, *, exact: bool, rtol: float, atol: float) -> np.ndarray:
        expected = transitions.reward[self.rows]
        if exact:
            return self.rewards == expected
        return np.isclose(self.rewards, expected, rtol=rtol, atol=atol, equal_nan=False)


def _check_inputs(transitions: Transitions, predictions: list[Any], max_mispredictions: int) -> None:
    env_id = transitions.record.env_id
    if len(transitions) == 0:
        raise ValueError(f"{env_id}: no transitions to score")
    if len(predictions) != len(transitions):
        raise ValueError(
            f"{env_id}: got {len(predictions)} predictions for {len(transitions)} transitions; "
            "give one per transition (None where the model failed)"
        )
    if max_mispredictions < 0:
        raise ValueError(f"max_mispredictions must be >= 0, got {max_mispredictions}")


def _misprediction(
    transitions: Transitions,
    i: int,
    expected_done: bool,
    done_meaning: str,
    prediction: tuple[Any, Any, Any] | None,
    wrong: tuple[str, ...],
    exact: bool,
    rtol: float,
    atol: float,
) -> Misprediction:
    elements: tuple[int, ...] = ()
    expected_state = transitions.next_obs[i]
    if prediction is not None and "next_state" in wrong and np.ndim(expected_state) > 0:
        ok = elements_equal(prediction[0], expected_state, exact=exact, rtol=rtol, atol=atol)
        elements = tuple(int(k) for k in np.flatnonzero(~ok))
    return Misprediction(
        index=i,
        episode=int(transitions.episode[i]),
        step=int(transitions.step[i]),
        state=transitions.obs[i],
        action=transitions.action[i],
        expected_next_state=expected_state,
        expected_reward=float(transitions.reward[i]),
        expected_done=bool(expected_done),
        done_meaning=done_meaning,
        prediction=prediction,
        wrong=wrong,
        wrong_state_elements=elements,
    )


def score_v1(transitions: Transitions, predictions: list[Any], *, max_mispredictions: int = 5) -> AccuracyResult:
    """Transition accuracy under `cwmb-v1`.

    Per transition, three checks, each 0 or 1:

    - next state: exact for integer states (`EnvRecord.exact_state`: Taxi, CliffWalking, Blackjack's
      tuple), otherwise ``np.allclose(pred, next_obs, rtol=CWMB_V1_RTOL, atol=CWMB_V1_ATOL)``;
    - reward: ``|pred - reward| <= CWMB_V1_ATOL + CWMB_V1_RTOL * |reward|``;
    - done: against `terminated` (a time-limit truncation is not predictable from (state, action)).

    The transition's score is their mean; `accuracy` is the plain mean of scores. A failed
    transition (``None``, or not a 3-tuple) scores 0 on all three.

    Raises:
        ValueError: no transitions, or not one prediction per transition.
    """
    _check_inputs(transitions, predictions, max_mispredictions)
    record = transitions.record
    n = len(transitions)
    state_ok = np.zeros(n, dtype=bool)
    reward_ok = np.zeros(n, dtype=bool)
    done_ok = np.zeros(n, dtype=bool)
    failed = np.zeros(n, dtype=bool)
    tolerance = {"exact": record.exact_state, "rtol": CWMB_V1_RTOL, "atol": CWMB_V1_ATOL}
    plain = _PlainRows.of(transitions, predictions)
    if len(plain.rows):
        state_ok[plain.rows] = plain.element_ok(transitions, **tolerance).all(axis=1)
        reward_ok[plain.rows] = plain.rewards_ok(transitions, exact=False, rtol=CWMB_V1_RTOL, atol=CWMB_V1_ATOL)
        done_ok[plain.rows] = plain.dones == transitions.terminated[plain.rows]
    for i in plain.others:
        prediction = _unpack(predictions[i])
        if prediction is None:
            failed[i] = True
            continue
        next_state, reward, done = prediction
        state_ok[i] = states_equal(next_state, transitions.next_obs[i], **tolerance)
        reward_ok[i] = rewards_equal(reward, transitions.reward[i], exact=False, rtol=CWMB_V1_RTOL, atol=CWMB_V1_ATOL)
        done_ok[i] = dones_equal(done, transitions.terminated[i])
    mispredictions = []
    for i in np.flatnonzero(~(state_ok & reward_ok & done_ok))[:max_mispredictions].tolist():
        checks = (("next_state", state_ok[i]), ("reward", reward_ok[i]), ("done", done_ok[i]))
        wrong = ("failed",) if failed[i] else tuple(name for name, ok in checks if not ok)
        mispredictions.append(_misprediction(transitions, i, transitions.terminated[i], "terminated",
                                             _unpack(predictions[i]), wrong, **tolerance))
    scores = (state_ok.astype(float) + reward_ok + done_ok) / 3
    return AccuracyResult(
        protocol="cwmb-v1",
        env_id=record.env_id,
        accuracy=float(scores.mean()),
        state_accuracy=float(state_ok.mean()),
        reward_accuracy=float(reward_ok.mean()),
        done_accuracy=float(done_ok.mean()),
        fully_correct=float((state_ok & reward_ok & done_ok).mean()),
        n_transitions=n,
        n_failed=int(failed.sum()),
        mispredictions=tuple(mispredictions),
        scores=scores,
        weights=np.full(n, 1.0 / n),
    )


# The authors' weights once `valid_actions` is dropped for Gymnasium envs ({0.25 x 4} renormalised
# without it), and the terminal-transition weights.
_PAPER_W = 0.25 / 0.75
_PAPER_TERMINAL_W = 0.5


def paper_reward_class_weights(rewards: np.ndarray) -> np.ndarray:
    """Per-transition weights of `paper-2024`: 1 / (transitions sharing this exact reward value).

    As the authors computed them: class weight N / n_class, normalised over the classes, then
    ``np.average`` normalises again over transitions. Every reward class therefore weighs the same
    in the total: the accuracy is the mean over reward classes of the mean score in each class, so
    on a continuous-reward env (all rewards distinct) the weights are uniform, and on CliffWalking
    the 5 transitions with reward -100 weigh as much as the 872 others. Returned normalised to sum 1.
    """
    rewards = np.asarray(rewards)
    values, inverse, counts = np.unique(rewards, return_inverse=True, return_counts=True)
    class_weights = len(rewards) / counts
    class_weights = class_weights / class_weights.sum()
    weights = class_weights[inverse.reshape(-1)]
    return weights / weights.sum()


def score_paper_2024(
    transitions: Transitions, predictions: list[Any], *, max_mispredictions: int = 5
) -> AccuracyResult:
    """Transition accuracy as the paper's code computed it (`paper-2024`), pitfalls included.

    Source: the authors' release, ``src/mcts/gif_mcts/simulators/simulator_cwm.py``
    (`check_transition_via_enum` and `check_code_world_model`), called by
    ``src/cwm_benchmark/generate_env.py`` with ``check_valid_actions=False``,
    ``continuous_state = env not in (Blackjack-v1, CliffWalking-v0, Taxi-v3)`` and the default
    ``continuous_reward=False``, ``weight_reward=True``. Rule for rule:

    - **done** is compared with the stored flag, ``terminated or truncated`` (the authors' buffers
      merged them), by ``pred_done == done``.
    - **reward** is compared with exact ``==`` against the stored reward (the authors' float32,
      widened exactly in the reference Parquet); no tolerance.
    - **terminal transition** (stored done True): score = ½·[reward right] + ½·[done right]; the
      next state is ignored.
    - **other transitions**: score = ⅓·state credit + ⅓·[reward right] + ⅓·[done right]. (The code's
      weights are ¼ each for next_state, reward, done and valid_actions; with
      ``check_valid_actions=False`` valid_actions gets 0 and the rest is renormalised to ⅓ each.)
      State credit is per element: the fraction of elements ``i`` with ``pred[i]`` matching
      ``next_obs[i]``; a scalar state (Taxi, CliffWalking) is one element. Elements match exactly
      for integer states (Blackjack's tuple included) and with ``np.allclose(rtol=1e-5, atol=1e-5)``
      for float ("continuous") states: CartPole, MountainCar, Acrobot and the continuous-action
      envs. (A "fraction of state elements exactly equal" holds for the integer states
      only; the code uses that tolerance for float states.)
    - **weighting**: each transition weighs 1 / (number of transitions with the same reward value),
      normalised (see `paper_reward_class_weights`); `accuracy` is the weighted mean of scores.

    This is why the paper's continuous accuracies sit at ⅓ (state wrong, reward wrong by float32
    rounding, done right) and why even the true simulator scores about ⅔ there (reference README).

    Differences kept on purpose, because CWMB scores transitions independently: a transition the
    model fails on scores 0 (the authors scored the *whole program* 0 when any transition raised),
    and a prediction with the wrong number of state elements gets 0 state credit (the authors' code
    raised on most of these, and compared only a prefix of a longer one).

    Components in the result are unweighted diagnostics: `state_accuracy` is the mean state credit
    over non-terminal transitions (None if there are none), `reward_accuracy` and `done_accuracy` are
    over all transitions, `fully_correct` is the fraction the authors' code marked ``valid``.

    Raises:
        ValueError: no transitions, or not one prediction per transition.
    """
    _check_inputs(transitions, predictions, max_mispredictions)
    record = transitions.record
    n = len(transitions)
    done_gt = np.asarray(transitions.terminated, dtype=bool) | np.asarray(transitions.truncated, dtype=bool)
    tolerance = {"exact": record.exact_state, "rtol": PAPER_2024_RTOL, "atol": PAPER_2024_ATOL}
    scores = np.zeros(n)
    state_credit = np.zeros(n)
    state_all_ok = np.zeros(n, dtype=bool)
    reward_ok = np.zeros(n, dtype=bool)
    done_ok = np.zeros(n, dtype=bool)
    failed = np.zeros(n, dtype=bool)
    plain = _PlainRows.of(transitions, predictions)
    if len(plain.rows):
        rows, elements = plain.rows, plain.element_ok(transitions, **tolerance)
        width = elements.shape[1]
        reward_ok[rows] = plain.rewards_ok(transitions, exact=True, rtol=0.0, atol=0.0)
        done_ok[rows] = plain.dones == done_gt[rows]
        # The loop below sums per-element credit in the authors' order; adding 0.0 changes nothing,
        # so the sum for m right elements is the same float as this table's entry m.
        per_element = _PAPER_W / width
        state_terms = np.array([sum([per_element] * m) for m in range(width + 1)])[elements.sum(axis=1)]
        r, d = reward_ok[rows].astype(float), done_ok[rows].astype(float)
        scores[rows] = np.where(done_gt[rows], _PAPER_TERMINAL_W * r + _PAPER_TERMINAL_W * d,
                                state_terms + _PAPER_W * r + _PAPER_W * d)
        state_credit[rows] = np.where(done_gt[rows], 0.0, elements.mean(axis=1))
        state_all_ok[rows] = elements.all(axis=1)
    for i in plain.others:
        prediction = _unpack(predictions[i])
        if prediction is None:
            failed[i] = True
            continue
        next_state, reward, done = prediction
        reward_ok[i] = rewards_equal(reward, transitions.reward[i], exact=True, rtol=0.0, atol=0.0)
        done_ok[i] = dones_equal(done, done_gt[i])
        if done_gt[i]:
            # The authors: "Ignore the next state prediction, as it's not consequential".
            scores[i] = _PAPER_TERMINAL_W * float(reward_ok[i]) + _PAPER_TERMINAL_W * float(done_ok[i])
        else:
            elements = elements_equal(next_state, transitions.next_obs[i], **tolerance)
            per_element = _PAPER_W / len(elements)
            # Summed in the authors' order, so the floats come out the same.
            state_term = sum([per_element * float(ok) for ok in elements])
            scores[i] = state_term + _PAPER_W * float(reward_ok[i]) + _PAPER_W * float(done_ok[i])
            state_credit[i] = elements.mean()
            state_all_ok[i] = elements.all()
    # A terminal transition is not scored on its next state.
    valid = ~failed & reward_ok & done_ok & (state_all_ok | done_gt)
    mispredictions = []
    for i in np.flatnonzero(~valid)[:max_mispredictions].tolist():
        checks = (("reward", reward_ok[i]), ("done", done_ok[i]))
        if not done_gt[i]:
            checks = (("next_state", state_all_ok[i]), *checks)
        wrong = ("failed",) if failed[i] else tuple(name for name, ok in checks if not ok)
        mispredictions.append(_misprediction(transitions, i, done_gt[i], "terminated or truncated",
                                             _unpack(predictions[i]), wrong, **tolerance))
    weights = paper_reward_class_weights(transitions.reward)
    non_terminal = ~done_gt
    return AccuracyResult(
        protocol="paper-2024",
        env_id=record.env_id,
        accuracy=float(np.average(scores, weights=weights)),
        state_accuracy=float(state_credit[non_terminal].mean()) if non_terminal.any() else None,
        reward_accuracy=float(reward_ok.mean()),
        done_accuracy=float(done_ok.mean()),
        fully_correct=float(valid.mean()),
        n_transitions=n,
        n_failed=int(failed.sum()),
        mispredictions=tuple(mispredictions),
        scores=scores,
        weights=weights,
    )


#: Protocol name -> accuracy scorer.
SCORERS = {"cwmb-v1": score_v1, "paper-2024": score_paper_2024}
