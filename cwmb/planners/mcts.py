"""Monte Carlo tree search (UCT) planner for discrete actions.

Kocsis & Szepesvári's UCT with random rollouts, as the paper (Dainese et al. 2024) plans on discrete
envs: a new tree every real step; each simulation selects by UCB1 (unvisited actions valued
`unvisited_q`), expands one action by stepping the model, estimates the leaf by a random rollout,
and backs the discounted return up. The real action is drawn from a softmax over root visit counts.
The same code plans with the real simulator and with a code world model.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from cwmb.planners.model import PlanningModel


@dataclass(frozen=True)
class MCTSConfig:
    """Settings of one MCTS planner; frozen so that a protocol can hold it."""

    n_simulations: int = 25
    """Simulations (select, expand, roll out, back up) per real step."""
    rollout_depth: int = 100
    """Random actions per rollout at most."""
    exploration: float = 1.0
    """UCB1 exploration constant C."""
    epsilon: float = 1e-3
    """Added to visit counts inside the UCB square root, so that it is defined at zero."""
    discount: float = 0.99
    """Discount of rewards inside the tree and rollouts."""
    temperature: float = 0.01
    """Softmax temperature over root visit counts when choosing the real action."""
    unvisited_q: float = 1.0
    """Value of an action never tried."""
    action_repeat: int = 1
    """Steps each tree edge and each rollout choice holds its action (1 = the paper's MCTS).
    Holding actions lets random rollouts reach sparse rewards (MountainCar, Acrobot)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Node:
    state: Any
    terminal: bool
    visits: int = 0
    children: dict[int, tuple[float, "_Node"]] = field(default_factory=dict)
    value_sum: dict[int, float] = field(default_factory=dict)
    action_visits: dict[int, int] = field(default_factory=dict)


def plan(model: PlanningModel, state: Any, n_actions: int, config: MCTSConfig, rng: np.random.Generator) -> int:
    """Action to take in `state` after `config.n_simulations` simulations of `model`."""
    root = _Node(state, terminal=False)
    for _ in range(config.n_simulations):
        _simulate(model, root, n_actions, config, rng)
    visits = np.array([root.action_visits.get(a, 0) for a in range(n_actions)], dtype=np.float64)
    logits = (visits - visits.max()) / config.temperature
    probabilities = np.exp(logits) / np.exp(logits).sum()
    return int(rng.choice(n_actions, p=probabilities))


def _simulate(model: PlanningModel, root: _Node, n_actions: int, config: MCTSConfig, rng: np.random.Generator) -> None:
    # Selection: descend through fully expanded nodes by UCB1.
    path: list[tuple[_Node, int, float]] = []
    node = root
    while not node.terminal:
        action = _select(node, n_actions, config, rng)
        if action not in node.children:
            break
        reward, child = node.children[action]
        path.append((node, action, reward))
        node = child
    # Expansion: step the model once from the leaf.
    leaf_value = 0.0
    if not node.terminal:
        model.set_state(node.state)
        reward, terminated = _step_repeated(model, action, config)
        child = _Node(model.get_state(), terminal=terminated)
        node.children[action] = (reward, child)
        path.append((node, action, reward))
        if not terminated:
            leaf_value = _rollout(model, n_actions, config, rng)
    # Backup: discounted return along the path.
    value = leaf_value
    edge_discount = config.discount**config.action_repeat
    for parent, action, reward in reversed(path):
        value = reward + edge_discount * value
        parent.visits += 1
        parent.action_visits[action] = parent.action_visits.get(action, 0) + 1
        parent.value_sum[action] = parent.value_sum.get(action, 0.0) + value


def _select(node: _Node, n_actions: int, config: MCTSConfig, rng: np.random.Generator) -> int:
    scores = np.empty(n_actions)
    log_visits = math.log(node.visits + 1)
    for a in range(n_actions):
        n = node.action_visits.get(a, 0)
        q = node.value_sum[a] / n if n else config.unvisited_q
        scores[a] = q + config.exploration * math.sqrt(log_visits / (n + config.epsilon))
    best = np.flatnonzero(scores == scores.max())
    return int(rng.choice(best))


def _step_repeated(model: PlanningModel, action: int, config: MCTSConfig) -> tuple[float, bool]:
    """Hold `action` for `config.action_repeat` steps: (discounted reward, terminated)."""
    total, discount = 0.0, 1.0
    for _ in range(config.action_repeat):
        _, reward, terminated = model.step(action)
        total += discount * reward
        discount *= config.discount
        if terminated:
            return total, True
    return total, False


def _rollout(model: PlanningModel, n_actions: int, config: MCTSConfig, rng: np.random.Generator) -> float:
    """Discounted return of random actions (each held `action_repeat` steps) from the model's state."""
    total, discount, steps = 0.0, 1.0, 0
    while steps < config.rollout_depth:
        action = int(rng.integers(n_actions))
        for _ in range(config.action_repeat):
            _, reward, terminated = model.step(action)
            total += discount * reward
            discount *= config.discount
            steps += 1
            if terminated:
                return total
    return total
