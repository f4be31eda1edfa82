"""Diagnostic (not the protocol): would a default-pose restore at every replanning explain Table 12?

    python -m benchmarks.default_pose_oracle [--env HalfCheetah-v5] [--episode 0] [--faithful]

The authors' released MuJoCo data shows step 0 of every episode stepped from a default-pose
simulator (qpos0, zero velocity), which is what a default `MjData` from a deep copy of the env
gives. If their CEM oracle's restore did the same, the real episode restarted from rest at every
replanning (every 100 steps under `paper-2024`), and the plan then ran open loop from exactly the
pose it was made for. This plays one `paper-2024` oracle episode that way ("default pose") and
prints it beside the faithful oracle of the same episode: the stored planner-revision-2 reference
episode of `cwmb/references/paper-2024.json` when there is one, else (or with `--faithful`) played
here by the very function that computes the references (`cwmb.references.reference_episode`).
Same seeds, planner and settings; only the restore differs. One HalfCheetah episode takes
15-25 minutes of one core.
"""

from __future__ import annotations

import argparse
import time

import mujoco

from cwmb.episodes import CEMPolicy, episode_seed, oracle_model, policy_rng, run_episode
from cwmb.protocols import PAPER_2024
from cwmb.references import is_stale, load_references, reference_episode
from cwmb.registry import get_env
from cwmb.simulator import Simulator


class DefaultPoseAtReplanning(CEMPolicy):
    """The oracle's CEM policy, except that the real simulator is put in MuJoCo's default pose
    (`mj_resetData`: qpos0, zero velocity) whenever a new plan is due, before planning from it."""

    def act(self, real: Simulator, observation):
        if not self._queued:
            model, data = real.unwrapped.model, real.unwrapped.data
            mujoco.mj_resetData(model, data)
            mujoco.mj_forward(model, data)
        return super().act(real, observation)


def play_from_default_poses(env_id: str, episode: int) -> tuple[float, int, float]:
    """(return, steps, seconds) of one paper-2024 oracle episode acted by `DefaultPoseAtReplanning`."""
    protocol, record = PAPER_2024, get_env(env_id)
    seed = episode_seed(protocol, episode)
    start = time.perf_counter()
    real = Simulator(record)
    observation = real.reset(seed=seed)
    policy = DefaultPoseAtReplanning(oracle_model(record, seed), real.env.action_space, protocol.cem, policy_rng(seed),
                                     episode_limit=protocol.episode_limit(record))
    result = run_episode(real, observation, policy, protocol.episode_limit(record), seed)
    return result.episode_return, result.length, time.perf_counter() - start


def stored_faithful_return(env_id: str, episode: int) -> float | None:
    """The stored paper-2024 oracle return of this episode, if computed with today's planners."""
    entry = load_references(PAPER_2024.name).get(env_id, {}).get("oracle", {})
    seed = episode_seed(PAPER_2024, episode)
    if not entry or is_stale(PAPER_2024, "oracle", entry) or seed not in entry["seeds"]:
        return None
    return float(entry["returns"][entry["seeds"].index(seed)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="HalfCheetah-v5")
    parser.add_argument("--episode", type=int, default=0)
    parser.add_argument("--faithful", action="store_true", help="play the faithful episode too, even if stored")
    args = parser.parse_args()
    if get_env(args.env).family != "mujoco":
        parser.error(f"{args.env} is not a MuJoCo environment; the diagnostic is about MuJoCo restores")

    emulated, steps, seconds = play_from_default_poses(args.env, args.episode)
    print(f"{args.env} episode {args.episode} (seed {episode_seed(PAPER_2024, args.episode)}), paper-2024 oracle:")
    print(f"  default pose at every replanning: return {emulated:9.1f}  ({steps} steps, {seconds:.0f} s)")
    stored = None if args.faithful else stored_faithful_return(args.env, args.episode)
    if stored is None:
        faithful = reference_episode(args.env, "oracle", PAPER_2024.name, args.episode)  # what the references run
        print(f"  faithful (played here):           return {faithful['return']:9.1f}  ({faithful['seconds']:.0f} s)")
    else:
        print(f"  faithful (stored reference):      return {stored:9.1f}")


if __name__ == "__main__":
    main()
