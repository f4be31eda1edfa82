"""One planner implementation, two kinds of model: determinism, and sanity on tiny known models."""

import numpy as np
import pytest

from cwmb.planners import cem, mcts
from cwmb.planners.model import PlanningModel
from cwmb.registry import get_env
from cwmb.simulator import Simulator


class LineWorld(PlanningModel):
    """Integer position on a line; action 1 moves right, 0 left; reward 1 on reaching +3 (terminal)."""

    def __init__(self):
        self.position = 0

    def get_state(self):
        return self.position

    def set_state(self, state):
        self.position = int(state)

    def step(self, action):
        self.position += 1 if action == 1 else -1
        done = self.position >= 3
        return self.position, float(done), done


class Target(PlanningModel):
    """1-D continuous: reward -|x - 0.7| after x += a."""

    def __init__(self):
        self.x = 0.0

    def get_state(self):
        return self.x

    def set_state(self, state):
        self.x = float(state)

    def step(self, action):
        self.x += float(np.asarray(action).reshape(-1)[0])
        return self.x, -abs(self.x - 0.7), False


def test_mcts_finds_the_rewarding_direction():
    config = mcts.MCTSConfig(n_simulations=50, rollout_depth=10)
    actions = [mcts.plan(LineWorld(), 0, 2, config, np.random.default_rng(seed)).action for seed in range(5)]
    assert actions.count(1) >= 4


def test_cem_moves_towards_the_target():
    config = cem.CEMConfig(horizon=3, n_samples=200, n_elites=20, n_iterations=5, initial_std=0.5)
    plan = cem.plan(Target(), 0.0, np.array([-1.0]), np.array([1.0]), config, np.random.default_rng(0))
    assert plan.shape == (3, 1)
    assert abs(plan[0, 0] - 0.7) < 0.15


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Taxi-v4"])
def test_mcts_on_the_real_simulator_is_deterministic(env_id):
    record = get_env(env_id)
    decisions = []
    for _ in range(2):
        real = Simulator(record)
        real.reset(seed=3)
        model = Simulator(record, seed=4)
        config = mcts.MCTSConfig(n_simulations=10, rollout_depth=20)
        n = int(real.env.action_space.n)
        decisions.append([mcts.plan(model, real.get_state(), n, config, np.random.default_rng(5)).action for _ in range(3)])
    assert decisions[0] == decisions[1]


def test_cem_on_the_real_simulator_is_deterministic():
    record = get_env("InvertedPendulum-v5")
    config = cem.CEMConfig(horizon=5, n_samples=20, n_elites=4, n_iterations=2)
    plans = []
    for _ in range(2):
        real = Simulator(record)
        real.reset(seed=1)
        space = real.env.action_space
        plans.append(cem.plan(Simulator(record), real.get_state(), space.low, space.high, config, np.random.default_rng(2)))
    np.testing.assert_array_equal(plans[0], plans[1])


def test_play_batches_expansion_and_rollout():
    model = LineWorld()
    playout = model.play(0, [1, 1, 1, 1], keep_state_after=2)
    assert playout.state_after == 2 and playout.terminated and playout.rewards.tolist() == [0.0, 0.0, 1.0]


def test_simulator_restore_is_exact_for_mujoco():
    record = get_env("Hopper-v5")
    sim = Simulator(record)
    sim.reset(seed=0)
    state = sim.get_state()
    action = np.full(3, 0.3)
    first = sim.step(action)
    sim.set_state(state)
    second = sim.step(action)
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1:] == second[1:]
