"""How fast can the real simulators be stepped for CEM collection, against MuJoCo's raw step rate?

    python benchmarks/collection_rate.py [--samples 200]

For each MuJoCo environment, measured side by side in one run:
- raw: `mujoco.mj_step` on the env's model, `frame_skip` substeps per env step, no Python around it
  (the physics-only upper bound; MuJoCo's own C loop);
- ours: `Simulator.rollout_returns` on a CEM batch (exact state restore, the env's own reward code),
  which is what the collection protocol runs.
It prints env steps per second, their ratio, and the single-core hours the full CWMB v1 collection
protocol (10 + 10 episodes, 1000 samples x horizon x iterations 1..25) would take at that rate.
"""

from __future__ import annotations

import argparse
import time

import mujoco
import numpy as np

from cwmb.registry import ENVIRONMENTS
from cwmb.simulator import Simulator
from data_builders.collect import CEM_ITERATION_BUDGETS, COLLECTION_CEM


def raw_rate(simulator: Simulator, seconds: float = 1.0) -> float:
    model, data = simulator.unwrapped.model, simulator.unwrapped.data
    frame_skip = simulator.unwrapped.frame_skip
    state = simulator.get_state()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        simulator.set_state(state)
        mujoco.mj_step(model, data, nstep=frame_skip * 50)
        steps += 50
    return steps / (time.perf_counter() - start)


def our_rate(simulator: Simulator, samples: int, horizon: int) -> float:
    space = simulator.env.action_space
    rng = np.random.default_rng(0)
    sequences = rng.uniform(space.low, space.high, size=(samples, horizon, space.shape[0]))
    state = simulator.get_state()
    counted = {"steps": 0}
    step = simulator.step

    def counting_step(action):
        counted["steps"] += 1
        return step(action)

    simulator.step = counting_step
    start = time.perf_counter()
    simulator.rollout_returns(state, sequences)
    elapsed = time.perf_counter() - start
    simulator.step = step
    return counted["steps"] / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200, help="CEM samples in the measured batch")
    args = parser.parse_args()
    iterations = 2 * sum(CEM_ITERATION_BUDGETS)  # both splits
    print(f"{'env':<27}{'raw steps/s':>13}{'ours steps/s':>14}{'ours/raw':>10}{'protocol steps':>16}{'core-hours':>12}")
    total_hours = 0.0
    for env_id, record in ENVIRONMENTS.items():
        if record.family != "mujoco":
            continue
        simulator = Simulator(record)
        simulator.reset(seed=0)
        horizon = min(COLLECTION_CEM.horizon, record.episode_limit)
        raw, ours = raw_rate(simulator), our_rate(simulator, args.samples, horizon)
        # Upper bound: every sampled sequence runs the whole horizon (terminating envs stop earlier).
        protocol_steps = iterations * COLLECTION_CEM.n_samples * horizon
        hours = protocol_steps / ours / 3600
        total_hours += hours
        print(f"{env_id:<27}{raw:>13,.0f}{ours:>14,.0f}{ours / raw:>10.2f}{protocol_steps:>16,}{hours:>12.2f}")
    print(f"total: {total_hours:.1f} single-core hours at most, {total_hours / 2:.1f} h on 2 cores "
          "(terminating envs take less: their rollouts stop early)")


if __name__ == "__main__":
    main()
