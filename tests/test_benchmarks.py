"""The benchmark scripts still run (tiny sizes; the numbers they print are not checked here)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_sandbox_throughput_runs_and_prints_both_ratios():
    # Also prints the start-up of a bubblewrap worker and of a fallback one.
    run = subprocess.run([sys.executable, "-m", "benchmarks.sandbox_throughput", "--n", "300", "--repeats", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    rows = [line.split() for line in run.stdout.splitlines() if line.startswith(("cartpole-numpy", "state-plus-one"))]
    assert len(rows) == 4  # two world models, on two workloads (repeated episodes, the real test split)
    for row in rows:
        ratios = float(row[3]), float(row[6])
        assert all(r > 0 for r in ratios)


def test_the_default_pose_diagnostic_restores_the_pose_only_when_a_plan_is_due():
    import numpy as np

    from benchmarks.default_pose_oracle import DefaultPoseAtReplanning
    from cwmb.episodes import oracle_model, policy_rng
    from cwmb.planners.cem import CEMConfig
    from cwmb.registry import get_env
    from cwmb.simulator import Simulator

    record = get_env("HalfCheetah-v5")
    real = Simulator(record)
    observation = real.reset(seed=3)
    config = CEMConfig(horizon=4, n_samples=6, n_elites=2, n_iterations=1, replan_every=4)
    policy = DefaultPoseAtReplanning(oracle_model(record, 3), real.env.action_space, config, policy_rng(3))
    model, data = real.unwrapped.model, real.unwrapped.data

    def at_default_pose() -> bool:
        return np.array_equal(data.qpos, model.qpos0) and not data.qvel.any()

    assert not at_default_pose()  # reset() adds noise to the pose
    for step in range(8):
        action = policy.act(real, observation)
        assert at_default_pose() == (step % 4 == 0)  # restored just before each new plan, not between
        observation, _, _ = real.step(action)
