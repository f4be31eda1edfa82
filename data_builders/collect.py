"""CWMB v1 collection protocol: which episodes each split holds and how each is played.

Following the paper (Dainese et al. 2024, "CWMB" section), each split of each environment holds
10 trajectories:

- discrete actions: episodes 0-4 uniformly random, episodes 5-9 chosen by MCTS planning on the real
  simulator (`COLLECTION_MCTS`), each up to the env's episode limit;
- continuous actions: episode i is one open-loop CEM plan on the real simulator (horizon 100 or the
  episode limit if shorter, 1000 samples, 100 elites) with `CEM_ITERATION_BUDGETS[i]` iterations,
  executed until termination or the 100-step cap; bigger budgets give better behaviour.

The `test` split uses the same protocol with disjoint seeds. Every seed comes from `episode_seeds`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cwmb.dataset.schema import encode_action, encode_observation
from cwmb.episodes import CEMPolicy, MCTSPolicy, Policy, RandomPolicy
from cwmb.planners import cem, mcts
from cwmb.registry import EnvRecord
from cwmb.simulator import Simulator

EPISODES_PER_SPLIT = 10
SPLITS = ("train", "test")
CEM_ITERATION_BUDGETS = (1, 2, 3, 4, 5, 8, 12, 16, 20, 25)
COLLECTION_CEM = cem.CEMConfig(horizon=100, n_samples=1000, n_elites=100, n_iterations=1)
#: Discrete planning episodes: MCTS with the chosen subtree reused and, on sparse-reward envs, actions
#: held several steps (the paper's MCTS does no better than random on MountainCar and Acrobot, so its
#: "planner" episodes there would be random ones). Frozen here: the data was collected with it.
COLLECTION_MCTS = mcts.MCTSConfig(n_simulations=25, rollout_depth=100, exploration=1.0, epsilon=1e-3, discount=0.99,
                                  temperature=0.01, unvisited_q=1.0, action_repeat=1, reuse_tree=True)
COLLECTION_ACTION_REPEATS = {"CliffWalking-v1": 4, "MountainCar-v0": 10, "Acrobot-v1": 4}


def collection_mcts(env_id: str) -> mcts.MCTSConfig:
    return replace(COLLECTION_MCTS, action_repeat=COLLECTION_ACTION_REPEATS.get(env_id, 1))
_SPLIT_SEED_BASE = {"train": 0, "test": 10_000}


@dataclass(frozen=True)
class EpisodeSeeds:
    reset: int
    """Seed of the real env's reset (its reset distribution and its own generator)."""
    policy: int
    """Seed of the acting policy's generator (random actions, MCTS or CEM sampling)."""


def episode_seeds(split: str, episode: int) -> EpisodeSeeds:
    """The seeds of one episode; train and test never share one."""
    base = _SPLIT_SEED_BASE[split] + episode
    return EpisodeSeeds(reset=base, policy=1_000_000 + base)


def episode_policy(record: EnvRecord, episode: int) -> str:
    """Human-readable name of the policy that plays `episode` (stored in the dataset card)."""
    if record.action_kind == "discrete":
        return "random" if episode < EPISODES_PER_SPLIT // 2 else "mcts"
    return f"cem-{CEM_ITERATION_BUDGETS[episode]}"


def collection_policy(record: EnvRecord, episode: int, model: Simulator, rng: np.random.Generator, action_space) -> Policy:
    """The policy that plays `episode` (see the module docstring)."""
    name = episode_policy(record, episode)
    if name == "random":
        return RandomPolicy(action_space, rng)
    if name == "mcts":
        return MCTSPolicy(model, action_space, collection_mcts(record.env_id), rng)
    horizon = min(COLLECTION_CEM.horizon, record.episode_limit)
    config = replace(COLLECTION_CEM, horizon=horizon, replan_every=horizon, n_iterations=CEM_ITERATION_BUDGETS[episode])
    return CEMPolicy(model, action_space, config, rng)


def collect_episode(record: EnvRecord, split: str, episode: int) -> list[dict[str, Any]]:
    """Play one episode of the protocol on the real simulator and return its transition rows."""
    seeds = episode_seeds(split, episode)
    simulator = Simulator(record)
    # The planner's model is a second simulator with its own generator: it cannot see the real
    # env's future random draws (the Blackjack oracle pitfall of the original release).
    planning_model = Simulator(record, seed=seeds.policy)
    obs = simulator.reset(seed=seeds.reset)
    policy = collection_policy(record, episode, planning_model, np.random.default_rng(seeds.policy), simulator.env.action_space)
    rows = []
    for step in range(record.episode_limit):
        state = simulator.get_state()
        action = policy.act(simulator, obs)
        next_obs, reward, terminated = simulator.step(action)
        if record.family == "blackjack":
            state = np.concatenate([state, simulator.last_drawn_cards]).astype(np.float64)
        truncated = not terminated and step + 1 == record.episode_limit
        rows.append(
            {
                "episode": episode,
                "step": step,
                "obs": encode_observation(record, obs),
                "action": encode_action(record, action),
                "reward": float(reward),
                "next_obs": encode_observation(record, next_obs),
                "terminated": terminated,
                "truncated": truncated,
                "sim_state": state.tolist(),
            }
        )
        if terminated:
            break
        obs = next_obs
    return rows
