"""Planning return: play real episodes with a policy that plans on a model (or acts at random).

One function serves the three policies the benchmark compares: the planner using a submitted code
world model, the planner using the real simulator (the oracle), and uniformly random actions. The
real environment is always a `Simulator` of its own; the planning model and the policy's generator
never share state with it (an oracle must not see the next card).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cwmb.errors import SubmissionError
from cwmb.planners import cem, mcts
from cwmb.planners.model import PlanningModel
from cwmb.protocols import Protocol
from cwmb.registry import EnvRecord
from cwmb.simulator import Simulator


@dataclass(frozen=True)
class EpisodeResult:
    seed: int
    episode_return: float
    length: int
    terminated: bool
    failed_plans: int = 0
    """Decisions taken at random because the model failed while planning."""


def episode_seed(protocol: Protocol, episode: int) -> int:
    """Reset seed of evaluation episode `episode` (the policy's generator derives from it)."""
    return protocol.seed_base + episode


def oracle_model(record: EnvRecord, seed: int) -> Simulator:
    """The real simulator as a planning model, with a generator of its own."""
    return Simulator(record, seed=seed + 1_000_003)


class Policy:
    """Chooses real actions; planners plan on their model from the real state or observation."""

    def act(self, real: Simulator, observation: Any) -> Any:
        raise NotImplementedError


class RandomPolicy(Policy):
    """Uniformly random actions from the policy's own generator."""

    def __init__(self, action_space, rng: np.random.Generator):
        self.action_space, self.rng = action_space, rng

    def act(self, real: Simulator, observation: Any) -> Any:
        if hasattr(self.action_space, "n"):
            return int(self.rng.integers(self.action_space.n))
        return self.rng.uniform(self.action_space.low, self.action_space.high).astype(np.float64)


def _model_state(model: PlanningModel, real: Simulator, observation: Any) -> Any:
    # The oracle plans from the real simulator state; a code world model from the observation.
    return real.get_state() if isinstance(model, Simulator) else observation


class _PlanningPolicy(Policy):
    """Plans on a model when its queue of actions is empty. If the model fails while planning (a
    code world model that raises, hangs or returns garbage), that decision is a random action and
    `failed_plans` counts it: a broken world model plans like the random policy, never crashes."""

    def __init__(self, model: PlanningModel, action_space, rng: np.random.Generator):
        self.model, self.action_space, self.rng = model, action_space, rng
        self.failed_plans = 0
        self._queued: list[Any] = []
        self._fallback = RandomPolicy(action_space, rng)

    def act(self, real: Simulator, observation: Any) -> Any:
        if not self._queued:
            try:
                self._queued = self._plan(_model_state(self.model, real, observation))
            except SubmissionError:
                self.failed_plans += 1
                return self._fallback.act(real, observation)
        return self._queued.pop(0)

    def _plan(self, state: Any) -> list[Any]:
        raise NotImplementedError


class MCTSPolicy(_PlanningPolicy):
    """MCTS decisions, each held `action_repeat` steps; the subtree is reused if configured."""

    def __init__(self, model: PlanningModel, action_space, config: mcts.MCTSConfig, rng: np.random.Generator):
        super().__init__(model, action_space, rng)
        self.config = config
        self._subtree = None

    def _plan(self, state: Any) -> list[Any]:
        n_actions = int(self.action_space.n)
        decision = mcts.plan(self.model, state, n_actions, self.config, self.rng, reuse=self._subtree)
        self._subtree = decision.subtree
        return [decision.action] * self.config.action_repeat


class CEMPolicy(_PlanningPolicy):
    """CEM plans, each executed for `replan_every` steps (receding horizon; = horizon is open loop)."""

    def __init__(self, model: PlanningModel, action_space, config: cem.CEMConfig, rng: np.random.Generator,
                 episode_limit: int | None = None):
        super().__init__(model, action_space, rng)
        self.config, self.episode_limit = config, episode_limit

    def _plan(self, state: Any) -> list[Any]:
        space = self.action_space
        sequence = cem.plan(self.model, state, space.low, space.high, self.config, self.rng,
                            episode_limit=self.episode_limit)
        return list(sequence[: self.config.replan_every])


def planner_policy(record: EnvRecord, protocol: Protocol, model: PlanningModel | None, rng, action_space) -> Policy:
    """The protocol's planner on `model` (MCTS or CEM by action kind); random when `model` is None."""
    if model is None:
        return RandomPolicy(action_space, rng)
    if record.action_kind == "discrete":
        return MCTSPolicy(model, action_space, protocol.mcts_for(record.env_id), rng)
    return CEMPolicy(model, action_space, protocol.cem, rng, episode_limit=protocol.episode_limit(record))


def play_episode(
    record: EnvRecord,
    protocol: Protocol,
    episode: int,
    model: PlanningModel | None,
) -> EpisodeResult:
    """Play one real evaluation episode of `protocol` with its planner on `model` (None: random)."""
    seed = episode_seed(protocol, episode)
    real = Simulator(record)
    observation = real.reset(seed=seed)
    policy = planner_policy(record, protocol, model, policy_rng(seed), real.env.action_space)
    return run_episode(real, observation, policy, protocol.episode_limit(record), seed)


def policy_rng(seed: int) -> np.random.Generator:
    """The policy's generator of the episode with reset seed `seed`."""
    return np.random.default_rng([seed, 0xC3B])


def run_episode(real: Simulator, observation: Any, policy: Policy, limit: int, seed: int) -> EpisodeResult:
    """Act with `policy` on `real` (just reset to `observation`) until termination or `limit` steps."""
    total, terminated, steps = 0.0, False, 0
    for steps in range(1, limit + 1):
        observation, reward, terminated = real.step(policy.act(real, observation))
        total += reward
        if terminated:
            break
    return EpisodeResult(seed, float(total), steps, bool(terminated), getattr(policy, "failed_plans", 0))
