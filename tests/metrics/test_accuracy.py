"""Transition accuracy: cwmb-v1 and paper-2024 on hand-built transitions and on the authors' data."""

import json
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from cwmb.dataset.load import Transitions
from cwmb.dataset.schema import decode_action, decode_observation
from cwmb.metrics.accuracy import _PlainRows, paper_reward_class_weights, score_paper_2024, score_v1
from cwmb.registry import get_env

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REFERENCE = SHARED / "reference_cwmb"


def make(env_id, next_obs, rewards, terminated, truncated=None, obs=None, actions=None):
    """Tiny hand-built split: one episode, steps 0..n-1."""
    n = len(rewards)
    return Transitions(
        record=get_env(env_id),
        episode=np.zeros(n, dtype=np.int32),
        step=np.arange(n, dtype=np.int32),
        obs=list(obs) if obs is not None else list(next_obs),
        action=list(actions) if actions is not None else [0] * n,
        reward=np.asarray(rewards, dtype=np.float64),
        next_obs=list(next_obs),
        terminated=np.asarray(terminated, dtype=bool),
        truncated=np.asarray(truncated if truncated is not None else [False] * n, dtype=bool),
        sim_state=[np.zeros(0)] * n,
    )


def f32(*values):
    return np.array(values, dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# cwmb-v1


def test_v1_hand_computed():
    states = [f32(0.1, 0.2, 0.3, 0.4), f32(1, 2, 3, 4), f32(5, 6, 7, 8), f32(9, 10, 11, 12)]
    t = make("CartPole-v1", states, [1.0, 1.0, 1.0, 1.0], [False, False, False, True])
    predictions = [
        (states[0].astype(np.float64), 1.0, False),  # all right: 3/3
        (states[1], 0.0, False),  # reward wrong: 2/3
        None,  # failed: 0
        (np.array([9.0, 0.0, 11.0, 0.0]), 1.0, False),  # state (elements 1, 3) and done wrong: 1/3
    ]
    result = score_v1(t, predictions)
    assert result.protocol == "cwmb-v1"
    assert result.accuracy == pytest.approx((1 + 2 / 3 + 0 + 1 / 3) / 4)  # = 0.5
    assert result.state_accuracy == pytest.approx(2 / 4)
    assert result.reward_accuracy == pytest.approx(2 / 4)
    assert result.done_accuracy == pytest.approx(2 / 4)
    assert result.fully_correct == pytest.approx(1 / 4)
    assert (result.n_transitions, result.n_failed) == (4, 1)
    assert result.scores == pytest.approx([1, 2 / 3, 0, 1 / 3])
    assert [m.index for m in result.mispredictions] == [1, 2, 3]
    assert [m.wrong for m in result.mispredictions] == [("reward",), ("failed",), ("next_state", "done")]
    assert result.mispredictions[2].wrong_state_elements == (1, 3)
    assert result.mispredictions[1].prediction is None


def test_v1_done_means_terminated_not_truncated():
    states = [f32(0, 0, 0, 0), f32(1, 1, 1, 1)]
    t = make("CartPole-v1", states, [1.0, 1.0], terminated=[False, True], truncated=[True, False])
    result = score_v1(t, [(states[0], 1.0, False), (states[1], 1.0, True)])
    assert result.accuracy == 1.0
    assert score_v1(t, [(states[0], 1.0, True), (states[1], 1.0, True)]).done_accuracy == 0.5


@pytest.mark.parametrize("relative, state_right", [(1e-5, True), (1e-3, False)])
def test_v1_tolerance_at_the_boundary(relative, state_right):
    expected = f32(100.0, -200.0, 300.0)
    t = make("Pendulum-v1", [expected], [-2.0], [False])
    result = score_v1(t, [(expected * (1 + relative), -2.0 * (1 + relative), False)])
    assert result.state_accuracy == float(state_right)
    assert result.reward_accuracy == float(state_right)
    assert result.accuracy == pytest.approx(1.0 if state_right else 1 / 3)


def test_v1_blackjack_tuples_exact():
    t = make("Blackjack-v1", [(21, 5, 0), (15, 10, 1)], [1.0, 0.0], [True, False])
    predictions = [([21, 5, 0], 1.0, True), ((15.000001, 10, 1), 0.0, False)]
    result = score_v1(t, predictions)
    assert result.state_accuracy == 0.5
    assert result.accuracy == pytest.approx((1 + 2 / 3) / 2)


@pytest.mark.parametrize(
    "bad", [(1, 2), (1, 2, 3, 4), "abc", 42, {"next_state": 1}], ids=["2-tuple", "4-tuple", "str", "int", "dict"]
)
def test_malformed_prediction_counts_as_failed(bad):
    t = make("Taxi-v4", [5], [-1.0], [False])
    for score in (score_v1, score_paper_2024):
        result = score(t, [bad])
        assert (result.accuracy, result.n_failed, result.mispredictions[0].wrong) == (0.0, 1, ("failed",))


def test_mispredictions_limited_to_k():
    t = make("Taxi-v4", list(range(10)), [-1.0] * 10, [False] * 10)
    predictions = [(99, -1.0, False)] * 10
    assert [m.index for m in score_v1(t, predictions).mispredictions] == [0, 1, 2, 3, 4]
    assert len(score_v1(t, predictions, max_mispredictions=2).mispredictions) == 2
    assert score_v1(t, predictions, max_mispredictions=0).mispredictions == ()


def test_describe_renders_inputs_truth_and_prediction():
    t = make("Taxi-v4", [428], [-1.0], [False], obs=[328], actions=[1])
    text = score_v1(t, [(np.int64(328), -1.0, False)]).mispredictions[0].describe()
    assert text == (
        "Transition 0 (episode 0, step 0)\n"
        "Inputs:\n"
        "  State: 328\n"
        "  Action: 1\n"
        "Ground truth:\n"
        "  Next state: 428\n"
        "  Reward: -1.0\n"
        "  Done (terminated): False\n"
        "Prediction:\n"
        "  Next state: 328\n"
        "  Reward: -1.0\n"
        "  Done: False\n"
        "Wrong: next state"
    )


def test_describe_names_wrong_elements_and_failures():
    state = f32(0.5, 1.0, -0.25)  # float32 prints as its shortest repr, not 0.5000000xxx
    t = make("Pendulum-v1", [state], [-3.0], [False], actions=[np.array([1.5])])
    wrong = score_v1(t, [(np.array([0.5, 2.0, -0.25]), -3.0, True)]).mispredictions[0]
    assert "  Action: [1.5]\n" in wrong.describe()
    assert "  State: [0.5, 1.0, -0.25]\n" in wrong.describe()
    assert "  Next state: [0.5, 2.0, -0.25]\n" in wrong.describe()
    assert wrong.describe().endswith("Wrong: next state (elements 1), done")
    failed = score_v1(t, [None]).mispredictions[0].describe()
    assert failed.endswith("Prediction: none (the model raised, timed out or returned a malformed value)")
    paper = score_paper_2024(t, [None]).mispredictions[0].describe()
    assert "  Done (terminated or truncated): False\n" in paper


def test_result_to_dict_is_json():
    t = make("Blackjack-v1", [(21, 5, 0)], [1.0], [True], obs=[(20, 5, 0)], actions=[1])
    data = json.loads(json.dumps(score_v1(t, [((21, 5, 0), np.float32(0.0), np.bool_(True))]).to_dict()))
    assert data["accuracy"] == pytest.approx(2 / 3)
    assert data["mispredictions"][0]["prediction"] == [[21, 5, 0], 0.0, True]
    assert data["mispredictions"][0]["expected"]["next_state"] == [21, 5, 0]


@pytest.mark.parametrize("score", [score_v1, score_paper_2024])
def test_input_errors(score):
    t = make("Taxi-v4", [1, 2], [-1.0, -1.0], [False, False])
    with pytest.raises(ValueError, match=re.escape(
        "Taxi-v4: got 1 predictions for 2 transitions; give one per transition (None where the model failed)"
    )):
        score(t, [None])
    with pytest.raises(ValueError, match=re.escape("Taxi-v4: no transitions to score")):
        score(make("Taxi-v4", [], [], []), [])
    with pytest.raises(ValueError, match=re.escape("max_mispredictions must be >= 0, got -1")):
        score(t, [None, None], max_mispredictions=-1)


# ---------------------------------------------------------------------------------------------
# paper-2024


def test_paper_hand_computed():
    states = [f32(1, 2, 3), f32(4, 5, 6), f32(7, 8, 9), f32(10, 11, 12)]
    t = make(
        "Pendulum-v1", states, [-1.0, -1.0, -2.0, -3.0],
        terminated=[False, False, True, False], truncated=[False, False, False, True],
    )
    predictions = [
        (np.array([1.0, 2.5, 3.0]), -1.0, False),  # 1 of 3 elements wrong: (2/3)/3 + 1/3 + 1/3 = 8/9
        (states[1] * (1 + 1e-6), -1.0, False),  # float state within the authors' allclose: 1
        (np.zeros(7), -2.0, False),  # terminal: state ignored, reward right, done wrong: 1/2
        (states[3], -3.0, False),  # truncated counts as done in paper-2024: 1/2
    ]
    result = score_paper_2024(t, predictions)
    assert result.protocol == "paper-2024"
    assert result.scores == pytest.approx([8 / 9, 1, 1 / 2, 1 / 2])
    # Weights 1/count(reward): 1/2, 1/2, 1, 1 -> normalised 1/6, 1/6, 1/3, 1/3.
    assert result.weights == pytest.approx([1 / 6, 1 / 6, 1 / 3, 1 / 3])
    assert result.accuracy == pytest.approx((8 / 9) / 6 + 1 / 6 + (1 / 2) / 3 + (1 / 2) / 3)  # = 35/54
    assert result.accuracy == pytest.approx(35 / 54)
    assert result.state_accuracy == pytest.approx((2 / 3 + 1) / 2)  # non-terminal transitions only
    assert (result.reward_accuracy, result.done_accuracy, result.fully_correct) == (1.0, 0.5, 0.25)
    assert [m.wrong for m in result.mispredictions] == [("next_state",), ("done",), ("done",)]
    # The same predictions under cwmb-v1: 2/3, 1, 1/3 (state and done wrong), 1.
    assert score_v1(t, predictions).accuracy == pytest.approx((2 / 3 + 1 + 1 / 3 + 1) / 4)


def test_paper_failed_transitions_score_zero():
    t = make("CliffWalking-v1", [1, 2, 3], [-1.0, -1.0, -100.0], [False, False, False])
    result = score_paper_2024(t, [(1, -1.0, False), None, None])
    assert result.scores.tolist() == [1.0, 0.0, 0.0]
    assert result.accuracy == pytest.approx((1 / 2 + 0) / 2)  # reward classes -1 (mean 1/2) and -100 (0)
    assert result.n_failed == 2


def test_paper_rewards_exact_against_float32():
    stored = float(np.float32(-0.1))
    t = make("Pendulum-v1", [f32(1, 2, 3)], [stored], [False])
    assert score_paper_2024(t, [(f32(1, 2, 3), -0.1, False)]).accuracy == pytest.approx(2 / 3)
    assert score_paper_2024(t, [(f32(1, 2, 3), np.float32(-0.1), False)]).accuracy == 1.0
    assert score_v1(t, [(f32(1, 2, 3), -0.1, False)]).accuracy == 1.0


def test_paper_integer_states_per_element_and_scalar():
    blackjack = make("Blackjack-v1", [(21, 5, 0)], [0.0], [False])
    assert score_paper_2024(blackjack, [((21, 5, 1), 0.0, False)]).accuracy == pytest.approx((2 / 3) / 3 + 2 / 3)
    taxi = make("Taxi-v4", [428], [-1.0], [False])
    assert score_paper_2024(taxi, [(427, -1.0, False)]).accuracy == pytest.approx(2 / 3)


def test_paper_misshaped_state_gets_no_credit():
    t = make("Pendulum-v1", [f32(1, 2, 3)], [-1.0], [False])
    for state in (f32(1, 2), f32(1, 2, 3, 4), np.ones(1), None):
        assert score_paper_2024(t, [(state, -1.0, False)]).accuracy == pytest.approx(2 / 3)


def test_paper_reward_class_weights():
    weights = paper_reward_class_weights(np.array([-1.0] * 872 + [-100.0] * 5))
    assert weights.sum() == pytest.approx(1.0)
    assert weights[-5:].sum() == pytest.approx(0.5)  # 5 rare transitions weigh as much as 872
    assert paper_reward_class_weights(np.array([0.1, 0.2, 0.3])) == pytest.approx([1 / 3] * 3)


# ---------------------------------------------------------------------------------------------
# The authors' released transitions (../shared/reference_cwmb), skipped when absent.

REFERENCE_FILES = sorted(REFERENCE.glob("*-v*.parquet")) if REFERENCE.is_dir() else []
needs_reference = pytest.mark.skipif(not REFERENCE_FILES, reason=f"reference data not found at {REFERENCE}")


def load_reference(path):
    """A reference Parquet as Transitions: terminated = done & ~truncated_inferred (see its README)."""
    record = get_env(path.stem)  # the paper's id maps to the CWMB record
    columns = pq.read_table(path).to_pydict()
    done = np.asarray(columns["done"], dtype=bool)
    truncated = np.asarray(columns["truncated_inferred"], dtype=bool)
    return Transitions(
        record=record,
        episode=np.asarray(columns["episode"]),
        step=np.asarray(columns["step"]),
        obs=[decode_observation(record, x) for x in columns["obs"]],
        action=[decode_action(record, x) for x in columns["action"]],
        reward=np.asarray(columns["reward"], dtype=np.float64),
        next_obs=[decode_observation(record, x) for x in columns["next_obs"]],
        terminated=done & ~truncated,
        truncated=truncated,
        sim_state=[np.zeros(0)] * len(done),
    )


def true_model(t, *, paper, reward_offset=0.0):
    done = t.terminated | t.truncated if paper else t.terminated
    return [(t.next_obs[i], t.reward[i] + reward_offset, bool(done[i])) for i in range(len(t))]


@needs_reference
@pytest.mark.parametrize("path", REFERENCE_FILES, ids=[p.stem for p in REFERENCE_FILES])
def test_reference_true_model_scores_one(path):
    t = load_reference(path)
    paper = score_paper_2024(t, true_model(t, paper=True))
    v1 = score_v1(t, true_model(t, paper=False))
    assert (paper.accuracy, paper.fully_correct, paper.n_failed) == (pytest.approx(1.0), 1.0, 0)
    assert (v1.accuracy, v1.fully_correct, v1.mispredictions) == (1.0, 1.0, ())


CONTINUOUS_REFERENCE = [p for p in REFERENCE_FILES if get_env(p.stem).action_kind == "continuous"]


@needs_reference
@pytest.mark.parametrize("path", CONTINUOUS_REFERENCE, ids=[p.stem for p in CONTINUOUS_REFERENCE])
def test_reference_float64_rewards_collapse_the_paper_metric_only(path):
    """README caveat 3: exact float32 reward equality costs a correct model about 1/3 under paper-2024."""
    t = load_reference(path)
    paper = score_paper_2024(t, true_model(t, paper=True, reward_offset=1e-9))
    v1 = score_v1(t, true_model(t, paper=False, reward_offset=1e-9))
    assert paper.reward_accuracy == 0.0
    assert 0.63 <= paper.accuracy <= 2 / 3 + 1e-12  # the README's 0.63-0.67 for the true simulator
    assert v1.accuracy == 1.0
    if path.stem == "Pendulum-v1":  # no dones: every transition scores state + done = 2/3
        assert paper.accuracy == pytest.approx(2 / 3)


# ---------------------------------------------------------------------------------------------
# Array-at-once scoring gives exactly what the one-by-one comparators give


def _mixed_predictions(expected, rewards, terminated, rng):
    """Predictions of every kind a world model produces, many of them near the tolerance boundary."""
    predictions = []
    for k, (state, reward, done) in enumerate(zip(expected, rewards, terminated)):
        kind = k % 11
        scale = 1 + rng.choice([-1, 1]) * rng.choice([0.0, 5e-6, 9.99e-6, 1e-5, 1.001e-5, 2e-5, 1e-3])
        near = (state.astype(np.float64) * scale + rng.choice([0.0, 1e-5, -1e-5, 1.0000001e-5])).astype(np.float32)
        if kind == 0:
            predictions.append((state.copy(), float(reward), bool(done)))
        elif kind == 1:
            predictions.append((near, float(reward * scale), bool(done)))
        elif kind == 2:
            bad = near.copy()
            bad[rng.integers(len(bad))] = rng.choice([np.nan, np.inf, -np.inf])
            predictions.append((bad, float("nan") if k % 2 else float(reward), not done))
        elif kind == 3:
            predictions.append(None)
        elif kind == 4:
            predictions.append((near.astype(np.float64), float(reward), bool(done)))  # another dtype
        elif kind == 5:
            predictions.append((near[:-1], float(reward), bool(done)))  # wrong shape
        elif kind == 6:
            predictions.append((near.tolist(), np.float32(reward), int(done)))  # other types
        elif kind == 7:
            predictions.append((near, float(reward) + 1.0, bool(done)))
        elif kind == 8:
            predictions.append((near, float(reward), "yes"))
        elif kind == 9:
            predictions.append([near, float(reward), bool(done)])  # a list, not a tuple
        else:
            predictions.append((state.copy(), float(reward), bool(done)))
    return predictions


@pytest.mark.parametrize("score", [score_v1, score_paper_2024])
def test_array_scoring_equals_one_by_one(score):
    rng = np.random.default_rng(7)
    n = 600
    expected = [rng.normal(size=5).astype(np.float32) * rng.choice([1e-4, 1.0, 1e4]) for _ in range(n)]
    rewards = rng.normal(size=n).astype(np.float32).astype(np.float64)
    rewards[::5] = 1.0  # repeated values: paper-2024's reward classes
    terminated = rng.random(n) < 0.1
    truncated = rng.random(n) < 0.05
    transitions = make("CartPole-v1", expected, rewards, terminated, truncated)
    predictions = _mixed_predictions(expected, rewards, terminated | truncated if score is score_paper_2024 else terminated, rng)
    # Lists instead of tuples take every row through the one-by-one comparators.
    one_by_one = [list(p) if type(p) is tuple else p for p in predictions]
    assert len(_PlainRows.of(transitions, predictions).rows) > n // 5
    assert len(_PlainRows.of(transitions, one_by_one).rows) == 0
    fast, slow = score(transitions, predictions, max_mispredictions=50), score(transitions, one_by_one, max_mispredictions=50)
    assert np.array_equal(fast.scores, slow.scores)
    assert 0.0 < fast.accuracy < 1.0
    for name in ("accuracy", "state_accuracy", "reward_accuracy", "done_accuracy", "fully_correct", "n_failed"):
        assert getattr(fast, name) == getattr(slow, name), name
    assert [(m.index, m.wrong, m.wrong_state_elements) for m in fast.mispredictions] == \
        [(m.index, m.wrong, m.wrong_state_elements) for m in slow.mispredictions]
    assert len(fast.mispredictions) == 50
