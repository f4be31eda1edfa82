"""paper-2024's three planner rules from the authors' code, each where it chooses differently from
cwmb-v1's rule; and cwmb-v1's numbers pinned to the shipped references they produced."""

import json
import re

import numpy as np
import pytest

from cwmb.episodes import oracle_model, planner_policy, play_episode
from cwmb.planners import cem, mcts
from cwmb.planners.model import PlanningModel
from cwmb.protocols import CWMB_V1, PAPER_2024
from cwmb.references import references_path
from cwmb.registry import get_env
from cwmb.simulator import Simulator


class RecordingTarget(PlanningModel):
    """1-D: reward -|a - 0.3|; records the length of every rollout it is asked for."""

    def __init__(self):
        self.rollout_lengths = []

    def rollout_returns(self, state, action_sequences):
        sequences = np.asarray(action_sequences)
        self.rollout_lengths.append(sequences.shape[1])
        return -np.abs(sequences[:, :, 0] - 0.3).sum(axis=1)


def one_sample_plan(config, low, high):
    """A single sample of a single iteration: the plan is mean + initial std x (the same z)."""
    config = cem.CEMConfig(**{**config.to_dict(), "horizon": 1, "n_samples": 1, "n_elites": 1, "n_iterations": 1})
    plan = cem.plan(RecordingTarget(), 0.0, np.array([low]), np.array([high]), config, np.random.default_rng(7))
    return plan[0, 0]


def test_cem_initial_spread_is_half_the_largest_bound_in_paper_2024():
    # Box [-3, 1]: cwmb-v1's std is 0.5 x range = 2.0; the authors' code uses max(|low|, |high|) / 2 = 1.5.
    low, high = -3.0, 1.0
    np.testing.assert_allclose(cem.initial_std(PAPER_2024.cem, np.array([low]), np.array([high])), [1.5])
    np.testing.assert_allclose(cem.initial_std(CWMB_V1.cem, np.array([low]), np.array([high])), [2.0])
    z = np.random.default_rng(7).normal()
    assert abs(z) < 0.5, "the seed must draw a sample that no bound clips"
    mean = (low + high) / 2
    assert one_sample_plan(PAPER_2024.cem, low, high) == pytest.approx(mean + 1.5 * z)
    assert one_sample_plan(CWMB_V1.cem, low, high) == pytest.approx(mean + 2.0 * z)


def test_cem_horizon_is_cut_to_a_shorter_episode_in_paper_2024():
    config = cem.CEMConfig(**{**PAPER_2024.cem.to_dict(), "n_samples": 20, "n_elites": 4, "n_iterations": 2})
    model = RecordingTarget()
    plan = cem.plan(model, 0.0, np.array([-1.0]), np.array([1.0]), config, np.random.default_rng(0), episode_limit=50)
    assert plan.shape == (50, 1) and model.rollout_lengths == [50, 50]
    uncut = cem.CEMConfig(**{**config.to_dict(), "horizon_within_episode": False})
    assert cem.plan(model, 0.0, np.array([-1.0]), np.array([1.0]), uncut, np.random.default_rng(0),
                    episode_limit=50).shape == (100, 1)


def test_reacher_plans_fifty_steps_under_paper_2024():
    record = get_env("Reacher-v5")
    assert PAPER_2024.episode_limit(record) == 50
    policy = planner_policy(record, PAPER_2024, RecordingTarget(), np.random.default_rng(0), Simulator(record).env.action_space)
    assert cem.planning_horizon(policy.config, policy.episode_limit) == 50
    assert cem.planning_horizon(CWMB_V1.cem, CWMB_V1.episode_limit(record)) == CWMB_V1.cem.horizon


def searched_root():
    """A root after a search whose visit counts and values disagree: action 0 visited most, action 1 valued most."""
    root = mcts._Node(state=0, terminal=False, visits=12)
    root.action_visits = {0: 10, 1: 2}
    root.value_sum = {0: 10 * 0.5, 1: 2 * 0.9}  # Q = 0.5 and 0.9; action 2 never tried (Q = 0 in the authors' code)
    return root


def test_mcts_decision_is_a_softmax_over_values_in_paper_2024():
    root = searched_root()
    by_values = mcts.decision_probabilities(root, 3, PAPER_2024.mcts)
    by_visits = mcts.decision_probabilities(root, 3, CWMB_V1.mcts)
    assert by_values.argmax() == 1 and by_values[1] > 0.999
    assert by_visits.argmax() == 0 and by_visits[0] > 0.999
    # softmax((Q - max Q) / 0.01) exactly, the untried action at Q = 0
    q = np.array([0.5, 0.9, 0.0])
    expected = np.exp((q - q.max()) / 0.01)
    np.testing.assert_allclose(by_values, expected / expected.sum())


def test_mcts_deciding_by_values_still_finds_the_rewarding_direction():
    from tests.planners.test_planners import LineWorld

    config = mcts.MCTSConfig(n_simulations=50, rollout_depth=10, decide_by="values")
    actions = [mcts.plan(LineWorld(), 0, 2, config, np.random.default_rng(seed)).action for seed in range(5)]
    assert actions.count(1) >= 4


def test_cwmb_v1_keeps_its_planner_rules():
    assert CWMB_V1.mcts.decide_by == "visit_counts" and all(c.decide_by == "visit_counts" for _, c in CWMB_V1.mcts_overrides)
    assert (CWMB_V1.cem.initial_std, CWMB_V1.cem.initial_std_of, CWMB_V1.cem.horizon_within_episode) == (0.5, "range", False)
    assert CWMB_V1.planner_revision == 1 and PAPER_2024.planner_revision == 2


@pytest.mark.parametrize("env_id", ["CartPole-v1", "MountainCar-v0", "Taxi-v4", "Pendulum-v1"])
def test_cwmb_v1_oracle_reproduces_its_shipped_reference_episode(env_id):
    # The shipped cwmb-v1 references were computed before paper-2024's rules changed: the same
    # episode played again must give the same return, to the last bit.
    shipped = json.loads(references_path("cwmb-v1").read_text())[env_id]["oracle"]
    record = get_env(env_id)
    result = play_episode(record, CWMB_V1, 0, oracle_model(record, CWMB_V1.seed_base))
    assert result.seed == shipped["seeds"][0]
    assert result.episode_return == shipped["returns"][0]


def test_the_store_refuses_results_made_with_the_old_planners():
    from leaderboard.store import Rejected, check_result
    from tests.leaderboard.results_factory import REVISION, evaluated

    result = evaluated(protocol="paper-2024")
    old = result["protocol"]
    old["planner_revision"] = 1
    old["cem"] = {**old["cem"], "initial_std_of": "range", "horizon_within_episode": False}
    old["mcts"] = {**old["mcts"], "decide_by": "visit_counts"}
    with pytest.raises(Rejected, match=re.escape("settings differ from the published ones (cem, mcts, planner_revision)")):
        check_result(result, "old.json", dataset_revision=REVISION)


def test_oracle_references_of_the_old_planners_are_refused_and_replaced(monkeypatch, tmp_path):
    from cwmb import references

    path = tmp_path / "paper-2024.json"
    stale = {"CartPole-v1": {"random": {"returns": [20.0, 25.0], "seeds": [0, 1], "seconds": [0, 0]},
                             "oracle": {"returns": [400.0], "seeds": [0], "seconds": [1.0]}}}  # no revision: 1
    path.write_text(json.dumps(stale))
    monkeypatch.setattr(references, "references_path", lambda protocol: path)
    with pytest.raises(references.MissingReference, match="computed with older planners"):
        references.reference_returns("paper-2024", "CartPole-v1")
    played = []
    monkeypatch.setattr(references, "reference_episode",
                        lambda env_id, policy, protocol_name, episode: played.append(episode)
                        or {"return": 300.0 + episode, "seed": episode, "seconds": 0.0})
    stored = references.compute(PAPER_2024, ["CartPole-v1"], 2, policies=("oracle",))
    assert played == [0, 1]  # the stale episode was not kept
    assert stored["CartPole-v1"]["oracle"] == {"planner_revision": 2, "returns": [300.0, 301.0], "seeds": [0, 1],
                                               "seconds": [0.0, 0.0]}
    assert stored["CartPole-v1"]["random"] == stale["CartPole-v1"]["random"]  # random returns never plan
    assert references.reference_returns("paper-2024", "CartPole-v1") == (22.5, 300.5)
