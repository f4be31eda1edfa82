"""Oracle planner speed: exact state vectors (ours) against deep copies of the env (the common way).

    python -m benchmarks.oracle_planner

Both models run the same planner code (`cwmb.planners`) at the paper-2024 settings, side by side
in one run; the printed ratio is model steps per second, ours / deep-copy. The deep-copy model saves
a state with `copy.deepcopy(env)` and restores it by deep-copying back, which is how planners over
Gymnasium envs are usually written (and how the paper's collection restored its simulators).
"""

from __future__ import annotations

import copy
import time

import numpy as np

from cwmb.planners import cem, mcts
from cwmb.planners.model import PlanningModel
from cwmb.protocols import PAPER_2024
from cwmb.registry import get_env
from cwmb.simulator import Simulator


class DeepCopyModel(PlanningModel):
    """The real env, as `gymnasium.make` returns it, saved and restored with `copy.deepcopy`."""

    def __init__(self, record, seed: int):
        self.env = record.make()
        self.env.reset(seed=seed)

    def get_state(self):
        return copy.deepcopy(self.env)

    def set_state(self, state) -> None:
        self.env = copy.deepcopy(state)

    def step(self, action):
        obs, reward, terminated, _, _ = self.env.step(action)
        return obs, float(reward), bool(terminated)


class Counting(PlanningModel):
    """Counts the steps a planner takes through another model."""

    def __init__(self, inner: PlanningModel):
        self.inner, self.steps = inner, 0

    def get_state(self):
        return self.inner.get_state()

    def set_state(self, state) -> None:
        self.inner.set_state(state)

    def step(self, action):
        self.steps += 1
        return self.inner.step(action)


def rate(model: Counting, run) -> float:
    start = time.perf_counter()
    run(model)
    return model.steps / (time.perf_counter() - start)


def main() -> None:
    print(f"{'case':<48}{'ours steps/s':>14}{'deep-copy steps/s':>19}{'ratio':>8}")
    for env_id, decisions in (("CartPole-v1", 3), ("Acrobot-v1", 2)):
        record = get_env(env_id)
        models = {"ours": Simulator(record, seed=1), "deep-copy": DeepCopyModel(record, seed=1)}
        results = {}
        for name, inner in models.items():
            state = inner.get_state() if name == "deep-copy" else (inner.reset(seed=0), inner.get_state())[1]

            def run(model, state=state):
                rng = np.random.default_rng(0)
                for _ in range(decisions):
                    mcts.plan(model, state, 2 if env_id == "CartPole-v1" else 3, PAPER_2024.mcts, rng)

            results[name] = rate(Counting(inner), run)
        print(f"{'MCTS paper-2024 ' + env_id:<48}{results['ours']:>14,.0f}{results['deep-copy']:>19,.0f}"
              f"{results['ours'] / results['deep-copy']:>8.1f}")
    for env_id in ("HalfCheetah-v5", "Hopper-v5"):
        record = get_env(env_id)
        models = {"ours": Simulator(record, seed=1), "deep-copy": DeepCopyModel(record, seed=1)}
        config = PAPER_2024.cem.__class__(**{**PAPER_2024.cem.to_dict(), "n_samples": 100, "n_elites": 10, "n_iterations": 1})
        results = {}
        for name, inner in models.items():
            if name == "ours":
                inner.reset(seed=0)
            state = inner.get_state()
            space = record.make().action_space

            def run(model, state=state, space=space):
                cem.plan(model, state, space.low, space.high, config, np.random.default_rng(0))

            results[name] = rate(Counting(inner), run)
        print(f"{'CEM paper-2024 (100 samples x 100 steps) ' + env_id:<48}{results['ours']:>14,.0f}"
              f"{results['deep-copy']:>19,.0f}{results['ours'] / results['deep-copy']:>8.1f}")


if __name__ == "__main__":
    main()
