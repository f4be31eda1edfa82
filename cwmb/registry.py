"""The 18 CWMB environments: one frozen record each, read by everything else.

Nothing else in the project repeats this list. A record says which Gymnasium environment is made
(with which keywords), how its actions and states are typed, which planner the harness uses on it,
how long its episodes are, how its states are compared, and which id the paper used for it.

Version facts (Gymnasium 1.4, MuJoCo 4.0, see docs/design.md): CWMB v1 uses the maintained ids
(`CliffWalking-v1`, `Taxi-v4`, MuJoCo `-v5`). The paper (Dainese et al., NeurIPS 2024) used Gymnasium
0.29.1 ids: `CliffWalking-v0` and `Taxi-v3` have the same dynamics as v1/v4; `Pusher-v4` refuses to run
on MuJoCo >= 3; MuJoCo 3+ changed the v4 physics of HalfCheetah, Hopper, Ant and the Humanoids, so the
paper's MuJoCo data cannot be regenerated bit-for-bit on any maintained simulator.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Literal

from cwmb.errors import UnknownEnvironment

#: Exact simulator versions CWMB v1 data was built with; the physics changes between releases.
GYMNASIUM_VERSION = "1.4.0"
MUJOCO_VERSION = "4.0.0"

#: Episodes of continuous envs are capped at this many steps (the paper's collection cap).
CONTINUOUS_EPISODE_CAP = 100


@dataclass(frozen=True)
class EnvRecord:
    """Everything CWMB needs to know about one environment."""

    env_id: str
    """CWMB id; also the Gymnasium id that is made and the dataset config name."""
    family: Literal["toy_text", "blackjack", "classic_control", "mujoco"]
    """How the real simulator's state is saved and restored (see `cwmb.simulator`)."""
    action_kind: Literal["discrete", "continuous"]
    """Discrete actions are `int`; continuous ones are float64 numpy arrays."""
    observation_kind: Literal["int", "int_tuple", "vector"]
    """Native type a code world model receives: `int`, a tuple of ints, or a numpy float array."""
    observation_dtype: str
    """Numpy dtype of vector observations as the real env returns them (float32 or float64)."""
    episode_limit: int
    """Steps after which an episode is truncated, for collection and evaluation."""
    paper_id: str
    """The id the paper used for the same environment (Gymnasium 0.29.1)."""
    make_kwargs: dict[str, Any] = field(default_factory=dict)
    """Keywords passed to `gymnasium.make`; chosen to match the paper's observation where one exists."""
    paper_note: str = ""
    """How the paper's environment differs from this one, when it does."""

    @property
    def planner(self) -> Literal["mcts", "cem"]:
        """MCTS for discrete actions, CEM for continuous ones, as in the paper."""
        return "mcts" if self.action_kind == "discrete" else "cem"

    @property
    def exact_state(self) -> bool:
        """States compared exactly (integer states) rather than with a float tolerance."""
        return self.observation_kind != "vector"

    def make(self, **overrides: Any):
        """Build the real Gymnasium environment (with its TimeLimit wrapper)."""
        import gymnasium as gym

        kwargs = {**self.make_kwargs, **overrides}
        return gym.make(self.env_id, max_episode_steps=self.episode_limit, **kwargs)


def _mujoco(env_id: str, paper_id: str, limit: int = CONTINUOUS_EPISODE_CAP, note: str = "", **kw) -> EnvRecord:
    return EnvRecord(env_id, "mujoco", "continuous", "vector", "float64", limit, paper_id, kw, note)


_V5_PHYSICS = "MuJoCo 3+ changed this model's physics compared with the MuJoCo 2.3 the paper ran."

ENVIRONMENTS: dict[str, EnvRecord] = {
    record.env_id: record
    for record in [
        # Discrete actions, MCTS planner.
        EnvRecord("Blackjack-v1", "blackjack", "discrete", "int_tuple", "int64", 100, "Blackjack-v1",
                  paper_note="Stochastic: the next card is not a function of (state, action)."),
        EnvRecord("CliffWalking-v1", "toy_text", "discrete", "int", "int64", 100, "CliffWalking-v0",
                  paper_note="v0 renamed to v1 in Gymnasium 1.x; default dynamics unchanged. No own time limit: 100 steps, as the paper."),
        EnvRecord("Taxi-v4", "toy_text", "discrete", "int", "int64", 200, "Taxi-v3",
                  paper_note="v3 renamed to v4 in Gymnasium 1.x; default dynamics unchanged."),
        EnvRecord("CartPole-v1", "classic_control", "discrete", "vector", "float32", 500, "CartPole-v1"),
        EnvRecord("MountainCar-v0", "classic_control", "discrete", "vector", "float32", 200, "MountainCar-v0"),
        EnvRecord("Acrobot-v1", "classic_control", "discrete", "vector", "float32", 500, "Acrobot-v1"),
        # Continuous actions, CEM planner; episodes capped at 100 steps as in the paper.
        EnvRecord("Pendulum-v1", "classic_control", "continuous", "vector", "float32", CONTINUOUS_EPISODE_CAP, "Pendulum-v1"),
        _mujoco("Reacher-v5", "Reacher-v4", limit=50,
                note="v4 observes 11 values (a redundant z distance, always 0); v5 observes 10."),
        _mujoco("Pusher-v5", "Pusher-v4",
                note="Pusher-v4 refuses MuJoCo >= 3; v5 has the same spaces and a different object mass."),
        _mujoco("InvertedPendulum-v5", "InvertedPendulum-v4"),
        _mujoco("InvertedDoublePendulum-v5", "InvertedDoublePendulum-v4",
                note="v4 observes 11 values (two constraint forces, always 0); v5 observes 9."),
        _mujoco("HalfCheetah-v5", "HalfCheetah-v4", note=_V5_PHYSICS),
        _mujoco("Hopper-v5", "Hopper-v4", note=_V5_PHYSICS),
        _mujoco("Swimmer-v5", "Swimmer-v4"),
        _mujoco("Walker2d-v5", "Walker2d-v4",
                note="v5 fixes the v4 feet friction asymmetry; both clip joint velocities to [-10, 10]."),
        _mujoco("Ant-v5", "Ant-v4", include_cfrc_ext_in_observation=False,
                note=_V5_PHYSICS + " Contact forces left out of the observation (27 values) as in the paper's Ant-v4."),
        _mujoco("Humanoid-v5", "Humanoid-v4",
                note=_V5_PHYSICS + " v4 observes 376 values, v5 348 (world-body rows dropped); no keyword restores them."),
        _mujoco("HumanoidStandup-v5", "HumanoidStandup-v4",
                note=_V5_PHYSICS + " v4 observes 376 values, v5 348 (world-body rows dropped); no keyword restores them."),
    ]
}

ENV_IDS: tuple[str, ...] = tuple(ENVIRONMENTS)
DISCRETE_ENV_IDS = tuple(i for i, r in ENVIRONMENTS.items() if r.action_kind == "discrete")
CONTINUOUS_ENV_IDS = tuple(i for i, r in ENVIRONMENTS.items() if r.action_kind == "continuous")
PAPER_IDS: dict[str, str] = {r.paper_id: r.env_id for r in ENVIRONMENTS.values()}


def get_env(env_id: str) -> EnvRecord:
    """The record of `env_id`; the paper's ids (e.g. ``Taxi-v3``) map to CWMB's.

    Raises:
        UnknownEnvironment: with the valid ids and the closest match.
    """
    if env_id in ENVIRONMENTS:
        return ENVIRONMENTS[env_id]
    if env_id in PAPER_IDS:
        return ENVIRONMENTS[PAPER_IDS[env_id]]
    close = difflib.get_close_matches(env_id, ENV_IDS, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UnknownEnvironment(f"unknown environment {env_id!r}.{hint} Valid ids: {', '.join(ENV_IDS)}")
