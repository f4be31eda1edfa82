"""Cross-entropy method (CEM) planner for continuous actions.

Rubinstein's CEM as used for planning by the paper (Dainese et al. 2024, App. "planning"): sample
action sequences from a diagonal Gaussian, score each by its return under the model, refit the
Gaussian to the best `n_elites`, repeat, and return the best sequence seen. The same code plans with
the real simulator (the oracle) and with a code world model; only the `PlanningModel` differs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from cwmb.planners.model import PlanningModel


@dataclass(frozen=True)
class CEMConfig:
    """Settings of one CEM planner; frozen so that a protocol can hold it."""

    horizon: int = 100
    """Steps planned ahead."""
    n_samples: int = 1000
    """Action sequences sampled per iteration."""
    n_elites: int = 100
    """Best sequences the Gaussian is refitted to."""
    n_iterations: int = 20
    """Refitting rounds."""
    initial_std: float = 0.5
    """Initial standard deviation per action dimension, as a multiple of `initial_std_of`."""
    initial_std_of: Literal["range", "largest_bound"] = "range"
    """What `initial_std` multiplies: "range" = high - low (cwmb-v1: 0.5 x the range); "largest_bound"
    = max(|low|, |high|) (the authors' code, with 0.5: 0.5 for a [-1, 1] box, a quarter of its range)."""
    horizon_within_episode: bool = False
    """Plan at most the episode limit's number of steps when it is shorter than `horizon` (the
    authors' code: Reacher's 50-step episodes get 50-step plans, not 100)."""
    replan_every: int = 100
    """Steps of the plan executed before planning again (the horizon = open loop, as the paper)."""
    best_of_last_iteration: bool = False
    """Return the best sample of the last iteration (the paper's code) instead of the best seen."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan(
    model: PlanningModel,
    state: Any,
    low: np.ndarray,
    high: np.ndarray,
    config: CEMConfig,
    rng: np.random.Generator,
    *,
    episode_limit: int | None = None,
) -> np.ndarray:
    """Best action sequence found from `state`: shape (horizon, action_dim), within [low, high].

    `episode_limit` shortens the horizon when `config.horizon_within_episode` is set.
    """
    horizon = planning_horizon(config, episode_limit)
    low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    mean = np.broadcast_to((low + high) / 2, (horizon, low.size)).copy()
    std = np.broadcast_to(initial_std(config, low, high), (horizon, low.size)).copy()
    best_sequence, best_return = mean.copy(), -np.inf
    for _ in range(config.n_iterations):
        samples = rng.normal(mean, std, size=(config.n_samples, horizon, low.size))
        samples = np.clip(samples, low, high)
        returns = model.rollout_returns(state, samples)
        elites = samples[np.argsort(returns)[-config.n_elites :]]
        mean, std = elites.mean(axis=0), elites.std(axis=0)
        if returns.max() > best_return or config.best_of_last_iteration:
            best_return, best_sequence = float(returns.max()), samples[int(np.argmax(returns))]
    return best_sequence


def planning_horizon(config: CEMConfig, episode_limit: int | None) -> int:
    """Steps one plan covers: the configured horizon, cut to the episode limit if configured so."""
    if config.horizon_within_episode and episode_limit is not None:
        return min(config.horizon, episode_limit)
    return config.horizon


def initial_std(config: CEMConfig, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The Gaussian's standard deviation per action dimension before the first iteration."""
    if config.initial_std_of == "range":
        return config.initial_std * (high - low)
    return config.initial_std * np.maximum(np.abs(low), np.abs(high))
