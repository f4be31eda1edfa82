"""Replay stored transitions through the real simulator: the dataset's own correctness check.

For every transition: put the real env back in the stored `sim_state`, check that it observes the
stored `obs`, take the stored action, and compare `next_obs`, `reward` and `terminated` (exactly for
integer states, within `MUJOCO_TOLERANCE` for float ones). The first transition of every episode
must also be the env's real reset state for the episode's seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cwmb.dataset.load import load_transitions
from cwmb.simulator import Simulator

#: Largest difference allowed between a replayed float value and the stored one.
MUJOCO_TOLERANCE = 1e-9


@dataclass
class ReplayReport:
    env_id: str
    split: str
    transitions: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _same(a, b, exact: bool) -> bool:
    if exact:
        return np.array_equal(np.asarray(a), np.asarray(b))
    return np.allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=0, atol=MUJOCO_TOLERANCE)


def replay_split(env_id: str, split: str, source: str | Path | None = None, *, reset_seeds=None) -> ReplayReport:
    """Replay every transition of one split; `reset_seeds(episode)` checks episode starts if given."""
    data = load_transitions(env_id, split, source)
    record = data.record
    exact = record.family != "mujoco"
    simulator = Simulator(record)
    report = ReplayReport(record.env_id, split, len(data))

    def mismatch(i: int, what: str, stored, replayed) -> None:
        if len(report.mismatches) < 20:
            report.mismatches.append(
                f"{record.env_id}/{split} episode {data.episode[i]} step {data.step[i]}: {what} stored {stored!r}, replayed {replayed!r}"
            )
        else:
            report.mismatches.append("...")

    for i in range(len(data)):
        if data.step[i] == 0 and reset_seeds is not None:
            reset_obs = simulator.reset(seed=reset_seeds(int(data.episode[i])))
            if not _same(reset_obs, data.obs[i], exact=True):
                mismatch(i, "reset obs", data.obs[i], reset_obs)
            reset_state = simulator.get_state()
            stored_state = data.sim_state[i][: reset_state.size]
            if not np.array_equal(reset_state, stored_state):
                mismatch(i, "reset state", stored_state, reset_state)
        simulator.set_state(data.sim_state[i])
        # MuJoCo observations may read positions computed before the last substep (Reacher's
        # fingertip), which a restored state recomputes; only the step's outputs are compared there.
        if record.family != "mujoco" and not _same(simulator.observe(), data.obs[i], exact=True):
            mismatch(i, "obs", data.obs[i], simulator.observe())
        next_obs, reward, terminated = simulator.step(data.action[i])
        if not _same(next_obs, data.next_obs[i], exact):
            mismatch(i, "next_obs", data.next_obs[i], next_obs)
        if not _same(reward, data.reward[i], exact):
            mismatch(i, "reward", data.reward[i], reward)
        if terminated != bool(data.terminated[i]):
            mismatch(i, "terminated", bool(data.terminated[i]), terminated)
    return report
