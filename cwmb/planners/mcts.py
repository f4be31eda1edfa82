"""Monte Carlo tree search (UCT) planner for discrete actions.

Kocsis & Szepesvári's UCT with random rollouts, as the paper (Dainese et al. 2024) plans on discrete
envs: a new tree every real step; each simulation selects by UCB1 (unvisited actions valued
`unvisited_q`), expands one action by stepping the model, estimates the leaf by a random rollout,
and backs the discounted return up. The real action is drawn from a softmax over the root's visit
counts (cwmb-v1) or over its actions' values (the authors' code, `paper-2024`).
The same code plans with the real simulator and with a code world model.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

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
    """Softmax temperature of the real decision (see `decide_by`)."""
    decide_by: Literal["visit_counts", "values"] = "visit_counts"
    """What the real action's softmax is taken over: the root's visit counts per action
    ("visit_counts", cwmb-v1), or its Q values (mean backed-up return) per action, 0 for an action
    never tried ("values", the authors' code)."""
    unvisited_q: float = 1.0
    """Value of an action never tried."""
    action_repeat: int = 1
    """Steps each tree edge, each rollout choice and each real decision hold their action (1 = the
    paper's MCTS). Holding actions lets random rollouts reach sparse rewards (MountainCar, Acrobot)."""
    reuse_tree: bool = False
    """Keep the chosen child's subtree as the next decision's root (False = a new tree every step,
    as the paper). The root's state is always replaced by the real one."""

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


@dataclass(frozen=True)
class Decision:
    action: int
    """The action to take (held `action_repeat` real steps)."""
    subtree: _Node | None
    """The chosen action's subtree, to pass back as `reuse` when `reuse_tree` is on."""


def plan(
    model: PlanningModel,
    state: Any,
    n_actions: int,
    config: MCTSConfig,
    rng: np.random.Generator,
    reuse: _Node | None = None,
) -> Decision:
    """Decide in `state` after `config.n_simulations` simulations of `model`."""
    root = reuse if (reuse is not None and config.reuse_tree) else _Node(state, terminal=False)
    root.state, root.terminal = state, False
    for _ in range(config.n_simulations):
        _simulate(model, root, n_actions, config, rng)
    action = int(rng.choice(n_actions, p=decision_probabilities(root, n_actions, config)))
    child = root.children.get(action)
    return Decision(action, child[1] if child and config.reuse_tree else None)


def decision_probabilities(root: _Node, n_actions: int, config: MCTSConfig) -> np.ndarray:
    """Probability of each real action after the search: softmax(score / temperature)."""
    visits = np.array([root.action_visits.get(a, 0) for a in range(n_actions)], dtype=np.float64)
    if config.decide_by == "visit_counts":
        scores = visits
    else:
        sums = np.array([root.value_sum.get(a, 0.0) for a in range(n_actions)])
        scores = np.divide(sums, visits, out=np.zeros(n_actions), where=visits > 0)
    logits = (scores - scores.max()) / config.temperature
    return np.exp(logits) / np.exp(logits).sum()


def _simulate(model: PlanningModel, root: _Node, n_actions: int, config: MCTSConfig, rng: np.random.Generator) -> None:
    # Selection: descend through expanded actions by UCB1 until an untried action (or a terminal).
    path: list[tuple[_Node, int, float]] = []
    node = root
    while not node.terminal:
        action = _select(node, n_actions, config, rng)
        if action not in node.children:
            break
        reward, child = node.children[action]
        path.append((node, action, reward))
        node = child
    # Expansion and rollout in one model call: the new edge holds `action` for `action_repeat`
    # steps, then random actions (each held `action_repeat` steps) up to `rollout_depth` more.
    leaf_value = 0.0
    if not node.terminal:
        repeat = config.action_repeat
        playout = model.play(node.state, [action] * repeat + _random_actions(n_actions, config, rng), keep_state_after=repeat)
        discounts = config.discount ** np.arange(len(playout.rewards))
        edge_reward = float(np.dot(playout.rewards[:repeat], discounts[:repeat]))
        edge_terminal = playout.terminated and len(playout.rewards) <= repeat
        child = _Node(playout.state_after, terminal=edge_terminal)
        node.children[action] = (edge_reward, child)
        path.append((node, action, edge_reward))
        if not edge_terminal:
            leaf_value = float(np.dot(playout.rewards[repeat:], discounts[: len(playout.rewards) - repeat]))
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


def _random_actions(n_actions: int, config: MCTSConfig, rng: np.random.Generator) -> list[int]:
    """The rollout policy: uniformly random actions, each held `action_repeat` steps."""
    choices = rng.integers(n_actions, size=-(-config.rollout_depth // config.action_repeat))
    return np.repeat(choices, config.action_repeat)[: config.rollout_depth].tolist()
