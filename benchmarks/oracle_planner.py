"""Oracle planner speed: exact state vectors (ours) against deep copies of the env (the common way).

    python -m benchmarks.oracle_planner

Both models run the same planner code (`cwmb.planners`) at the paper-2024 settings, side by side
in one run; the printed ratio is model steps per second, ours / deep-copy. The deep-copy model saves
a state with `copy.deepcopy(env)` and restores it by deep-copying back, which is how planners over
Gymnasium envs are usually written (and how the paper's collection restored its simulators).

"ceiling" is the ratio any save/restore method could reach against this deep-copy planner: its run
time divided by its run time minus the time it spent saving and restoring (measured in the same
run). When stepping the simulator dominates, no restore method gets far above 1. (Ours also steps
the unwrapped env, without Gymnasium's checking wrappers, so its ratio can pass the ceiling a little.)
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
    """Counts the steps a planner takes through another model and times its saves and restores."""

    def __init__(self, inner: PlanningModel):
        self.inner, self.steps, self.restore_seconds = inner, 0, 0.0

    def get_state(self):
        start = time.perf_counter()
        state = self.inner.get_state()
        self.restore_seconds += time.perf_counter() - start
        return state

    def set_state(self, state) -> None:
        start = time.perf_counter()
        self.inner.set_state(state)
        self.restore_seconds += time.perf_counter() - start

    def step(self, action):
        self.steps += 1
        return self.inner.step(action)


def measure(model: Counting, run) -> tuple[float, float]:
    """(steps per second, seconds) of one planner run."""
    start = time.perf_counter()
    run(model)
    seconds = time.perf_counter() - start
    return model.steps / seconds, seconds


def report(case: str, runs: dict[str, tuple[float, float, Counting]]) -> None:
    (ours, _, _), (theirs, seconds, counted) = runs["ours"], runs["deep-copy"]
    ceiling = seconds / (seconds - counted.restore_seconds)
    print(f"{case:<48}{ours:>14,.0f}{theirs:>19,.0f}{ours / theirs:>8.1f}{ceiling:>9.1f}")


def main() -> None:
    print(f"{'case':<48}{'ours steps/s':>14}{'deep-copy steps/s':>19}{'ratio':>8}{'ceiling':>9}")
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

            counted = Counting(inner)
            results[name] = (*measure(counted, run), counted)
        report("MCTS paper-2024 " + env_id, results)
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

            counted = Counting(inner)
            results[name] = (*measure(counted, run), counted)
        report("CEM paper-2024 (100 samples x 100 steps) " + env_id, results)


if __name__ == "__main__":
    main()
