"""Normalised return, bootstrap intervals, and the per-protocol means over environments.

Written as Minari's `utils.get_normalized_score` (after D4RL): the formula in the docstring, an
explicit error naming the environment when reference returns are missing, and an explicit
`NotApplicable` (never a silent NaN) when the normalisation is undefined.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from cwmb.metrics.compare import PROTOCOLS

GROUPS = ("discrete", "continuous")


@dataclass(frozen=True)
class NotApplicable:
    """A value that is not defined for this environment, and why ("N/A" in the paper's tables)."""

    reason: str

    def __str__(self) -> str:
        return f"N/A ({self.reason})"


def _name(env_id: str | None) -> str:
    return repr(env_id) if env_id is not None else "this environment (pass env_id= to name it)"


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    return math.isfinite(value)


def normalised_return(
    r_model: float, r_random: float | None, r_oracle: float | None, *, env_id: str | None = None
) -> float | NotApplicable:
    """Return of a world model's planner, normalised between a random policy and the oracle planner.

    ``normalised = (R_cwm - R_random) / (R_oracle - R_random)``

    where R_cwm is the mean return of the planner using the code world model, R_random that of a
    uniformly random policy and R_oracle that of the same planner using the real simulator as its
    model (as in the paper, and like D4RL's and Minari's `get_normalized_score`). 0 is random, 1 is
    the oracle; values outside [0, 1] are kept.

    Args:
        r_model: mean return with the code world model.
        r_random: reference return of the random policy (stored with the dataset, per protocol).
        r_oracle: reference return of the oracle planner.
        env_id: named in error messages and N/A reasons.

    Returns:
        The normalised return, or `NotApplicable` when ``R_oracle <= R_random``: the planner with a
        perfect model is no better than random (the paper's MountainCar and Acrobot), so the ratio
        measures nothing.

    Raises:
        ValueError: a reference return is missing (None) or not finite, or `r_model` is not a
            finite number.
    """
    if not (_is_number(r_random) and _is_number(r_oracle)):
        raise ValueError(
            f"reference returns missing for {_name(env_id)}: random={r_random!r}, oracle={r_oracle!r}; "
            "measure both under this protocol before normalising"
        )
    if not _is_number(r_model):
        raise ValueError(f"return of the world model on {_name(env_id)} must be a finite number, got {r_model!r}")
    if r_oracle <= r_random:
        where = f" on {env_id}" if env_id is not None else ""
        return NotApplicable(f"oracle no better than random{where}: oracle {r_oracle:g} <= random {r_random:g}")
    return float((r_model - r_random) / (r_oracle - r_random))


def bootstrap_ci(
    values: Any, *, n_resamples: int = 10_000, confidence: float = 0.95, seed: int | np.random.Generator = 0
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean of `values`.

    Draws `n_resamples` resamples of len(values) with replacement from a `numpy.random.Generator`
    (built from `seed`, or the one passed), takes each resample's mean, and returns the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles. The same seed gives the same
    interval, exactly.

    Raises:
        ValueError: no values, a non-finite value, ``n_resamples < 1`` or `confidence` outside (0, 1).
    """
    data = np.asarray(values, dtype=float).reshape(-1)
    if data.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"bootstrap_ci needs finite values, got {data[~np.isfinite(data)].tolist()}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    means = np.empty(n_resamples)
    chunk = max(1, 2_000_000 // data.size)  # bounded memory for long transition lists
    for start in range(0, n_resamples, chunk):
        stop = min(start + chunk, n_resamples)
        means[start:stop] = data[rng.integers(0, data.size, size=(stop - start, data.size))].mean(axis=1)
    alpha = (1.0 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


@dataclass(frozen=True)
class GroupMean:
    """The mean of one metric over a group of environments."""

    group: str
    """"discrete", "continuous" or (cwmb-v1) "all"."""
    mean: float | None
    """None when no environment of the group has a defined value."""
    n_envs: int
    """Environments averaged."""
    ci: tuple[float, float] | None
    """95% bootstrap interval over environments (cwmb-v1); None under paper-2024."""
    counted_as_zero: tuple[str, ...]
    """Environments without a value (None: failed synthesis or evaluation), averaged as 0."""
    not_applicable: tuple[str, ...]
    """Environments whose value is `NotApplicable`: left out under paper-2024, averaged as 0 under cwmb-v1."""


def aggregate(
    per_env: dict[str, float | NotApplicable | None],
    env_kinds: dict[str, str],
    protocol: str,
    *,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> dict[str, GroupMean]:
    """Means of one per-environment metric (accuracy or normalised return) over environment groups.

    Rules (they reproduce the paper's Table 2 from its Table 11; paper_results.json notes):

    - a value of None (the synthesis or the evaluation failed) counts as 0 under both protocols:
      the paper's continuous normalised return averages all 12 envs with failed syntheses at 0;
    - a `NotApplicable` value, under `paper-2024`, is left out of the mean: the paper's discrete
      normalised return averages only the 4 envs where it is defined (MountainCar and Acrobot: the
      oracle was no better than random);
    - under `cwmb-v1` every environment counts, so a `NotApplicable` value also counts as 0. The
      protocol's planners are sized so that the oracle beats random everywhere; should one not, the
      env is listed in `not_applicable` (a defect of the references to fix), but it never shrinks the
      set of environments a mean is taken over.

    `paper-2024` reports "discrete" and "continuous" means, as the paper did. `cwmb-v1` adds "all"
    (every environment) and a bootstrap interval (`bootstrap_ci`, resampling environments) for each.

    Args:
        per_env: env id -> value; every env of `env_kinds` must be present (None for a failure).
        env_kinds: env id -> "discrete" or "continuous" (the action kind, `EnvRecord.action_kind`).
        protocol: "cwmb-v1" or "paper-2024".

    Raises:
        ValueError: unknown protocol or kind, an env missing from or unknown to `per_env`, or a
            value that is not a finite number, None or `NotApplicable`.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
    bad_kinds = {env: kind for env, kind in env_kinds.items() if kind not in GROUPS}
    if bad_kinds:
        raise ValueError(f"env kinds must be 'discrete' or 'continuous', got {bad_kinds}")
    missing = [env for env in env_kinds if env not in per_env]
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}: give every environment a value (None if it failed)")
    unknown = [env for env in per_env if env not in env_kinds]
    if unknown:
        raise ValueError(f"unknown environments {', '.join(unknown)}; known: {', '.join(env_kinds)}")
    for env, value in per_env.items():
        if not (value is None or isinstance(value, NotApplicable) or _is_number(value)):
            raise ValueError(f"value for {env} must be a finite number, None or NotApplicable, got {value!r}")

    members = {group: [env for env, kind in env_kinds.items() if kind == group] for group in GROUPS}
    if protocol == "cwmb-v1":
        members["all"] = list(env_kinds)
    result = {}
    for group, envs in members.items():
        zero = tuple(env for env in envs if per_env[env] is None)
        not_applicable = tuple(env for env in envs if isinstance(per_env[env], NotApplicable))
        if protocol == "paper-2024":
            envs = [env for env in envs if env not in not_applicable]
        values = [float(per_env[env]) if _is_number(per_env[env]) else 0.0 for env in envs]
        mean = float(np.mean(values)) if values else None
        ci = None
        if protocol == "cwmb-v1" and values:
            ci = bootstrap_ci(values, n_resamples=n_resamples, seed=seed)
        result[group] = GroupMean(group, mean, len(values), ci, zero, not_applicable)
    return result
