"""Normalised return, bootstrap intervals, and the per-protocol means over environments.

Written as Minari's `utils.get_normalized_score` (after D4RL): the formula in the docstring, an
explicit error naming the environment when reference returns are missing, and an explicit
`NotApplicable` (never a silent NaN) when the normalisation is undefined: when the oracle's
advantage over random is within `ADVANTAGE_MIN_STANDARD_ERRORS` standard errors of zero
(`reference_advantage`), a ratio with that denominator measures noise.
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


@dataclass(frozen=True)
class NotMeasured:
    """A value that is not measured yet, and why: a reference row (random policy, oracle planner)
    with fewer episodes than the protocol plays. Unlike a failure it is not a 0: a group holding one
    has no mean (an oracle with 4 of 12 envs computed is not "0.33 of itself")."""

    reason: str


def _name(env_id: str | None) -> str:
    return repr(env_id) if env_id is not None else "this environment (pass env_id= to name it)"


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    return math.isfinite(value)


#: k of the N/A rule: the normalised return is defined only where the oracle's mean return beats the
#: random policy's by more than k standard errors of that difference. k = 2 (about a 2.3% chance of
#: calling pure noise an advantage) keeps every cwmb-v1 env (the smallest margin is 3.3 SE, Blackjack)
#: and marks paper-2024's MountainCar (0 SE) and Blackjack (1.0) N/A, and Acrobot with its first
#: oracle reference (1.0 SE).
ADVANTAGE_MIN_STANDARD_ERRORS = 2.0


def _episode_returns(values: Any, what: str, env_id: str | None) -> np.ndarray:
    """Per-episode reference returns as a float array; ValueError naming the env when missing."""
    data = None
    if values is not None and not isinstance(values, (str, bytes, dict)) and np.ndim(values) == 1:
        data = np.asarray(values, dtype=float) if all(_is_number(v) for v in values) else None
    if data is None or data.size == 0:
        raise ValueError(
            f"reference returns missing for {_name(env_id)}: {what}={values!r} (per-episode returns expected); "
            "measure both under this protocol before normalising"
        )
    return data


def advantage_standard_error(random_returns: Any, oracle_returns: Any) -> float:
    """Standard error of mean(oracle) - mean(random), from the two references' episode returns.

    Student's two-sample form: ``s_p * sqrt(1/n_random + 1/n_oracle)``, with ``s_p`` the pooled
    standard deviation (ddof 1 in each sample). It equals Welch's form when both references have the
    same number of episodes (every complete reference), and it stays defined when one reference has
    a single episode (an oracle still being computed). NaN with fewer than 3 episodes in all.
    """
    r, o = np.asarray(random_returns, dtype=float), np.asarray(oracle_returns, dtype=float)
    dof = r.size + o.size - 2
    if dof < 1:
        return math.nan
    pooled_variance = (((r - r.mean()) ** 2).sum() + ((o - o.mean()) ** 2).sum()) / dof
    return float(math.sqrt(pooled_variance * (1.0 / r.size + 1.0 / o.size)))


def reference_advantage(random_returns: Any, oracle_returns: Any, *, env_id: str | None = None) -> float | NotApplicable:
    """mean(oracle) - mean(random): the denominator of the normalised return, or `NotApplicable`.

    N/A when the advantage is at most `ADVANTAGE_MIN_STANDARD_ERRORS` standard errors
    (`advantage_standard_error`): the planner with a perfect model is not measurably better than
    random, so a ratio by this difference would magnify noise (paper-2024's Acrobot: the oracle's
    -496.8 against random's -500, 1.0 SE, gave an exact model a normalised return of 1.66). Two
    references without spread (every episode alike) count as exact: N/A only when oracle <= random.

    Raises:
        ValueError: a reference is missing, empty, or holds a non-finite value.
    """
    r = _episode_returns(random_returns, "random", env_id)
    o = _episode_returns(oracle_returns, "oracle", env_id)
    advantage = float(o.mean() - r.mean())
    standard_error = advantage_standard_error(r, o)
    where = f" on {env_id}" if env_id is not None else ""
    if math.isnan(standard_error):
        return NotApplicable(f"too few reference episodes{where} to test the oracle's advantage "
                             f"({r.size} random, {o.size} oracle; at least 3 in all)")
    if advantage <= ADVANTAGE_MIN_STANDARD_ERRORS * standard_error:
        return NotApplicable(
            f"oracle not measurably better than random{where}: advantage {o.mean():g} - ({r.mean():g}) = "
            f"{advantage:.3g} <= {ADVANTAGE_MIN_STANDARD_ERRORS:g} x standard error {standard_error:.3g}"
        )
    return advantage


def normalised_return(
    r_model: float, random_returns: Any, oracle_returns: Any, *, env_id: str | None = None
) -> float | NotApplicable:
    """Return of a world model's planner, normalised between a random policy and the oracle planner.

    ``normalised = (R_cwm - R_random) / (R_oracle - R_random)``

    where R_cwm is the mean return of the planner using the code world model, R_random the mean
    return of a uniformly random policy and R_oracle that of the same planner using the real
    simulator as its model (as in the paper, and like D4RL's and Minari's `get_normalized_score`).
    0 is random, 1 is the oracle; values outside [0, 1] are kept.

    Args:
        r_model: mean return with the code world model.
        random_returns: the random policy's per-episode reference returns (stored per protocol).
        oracle_returns: the oracle planner's per-episode reference returns.
        env_id: named in error messages and N/A reasons.

    Returns:
        The normalised return, or `NotApplicable` when the oracle is not measurably better than
        random (`reference_advantage`: the paper's MountainCar and Acrobot), so the ratio measures
        nothing.

    Raises:
        ValueError: a reference is missing, empty or not finite, or `r_model` is not a finite number.
    """
    advantage = reference_advantage(random_returns, oracle_returns, env_id=env_id)
    if not _is_number(r_model):
        raise ValueError(f"return of the world model on {_name(env_id)} must be a finite number, got {r_model!r}")
    if isinstance(advantage, NotApplicable):
        return advantage
    return float((r_model - float(np.mean(random_returns))) / advantage)


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
    not_measured: tuple[str, ...] = ()
    """Environments whose value is `NotMeasured`: while there is one, the group has no mean."""


def aggregate(
    per_env: dict[str, float | NotApplicable | NotMeasured | None],
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
      set of environments a mean is taken over;
    - a `NotMeasured` value (a reference row still being computed) leaves its group without a mean
      (None, listed in `not_measured`) under both protocols: counting it 0 would invent a number.

    `paper-2024` reports "discrete" and "continuous" means, as the paper did. `cwmb-v1` adds "all"
    (every environment) and a bootstrap interval (`bootstrap_ci`, resampling environments) for each.

    Args:
        per_env: env id -> value; every env of `env_kinds` must be present (None for a failure).
        env_kinds: env id -> "discrete" or "continuous" (the action kind, `EnvRecord.action_kind`).
        protocol: "cwmb-v1" or "paper-2024".

    Raises:
        ValueError: unknown protocol or kind, an env missing from or unknown to `per_env`, or a
            value that is not a finite number, None, `NotApplicable` or `NotMeasured`.
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
        if not (value is None or isinstance(value, (NotApplicable, NotMeasured)) or _is_number(value)):
            raise ValueError(f"value for {env} must be a finite number, None, NotApplicable or NotMeasured, got {value!r}")

    members = {group: [env for env, kind in env_kinds.items() if kind == group] for group in GROUPS}
    if protocol == "cwmb-v1":
        members["all"] = list(env_kinds)
    result = {}
    for group, envs in members.items():
        zero = tuple(env for env in envs if per_env[env] is None)
        not_applicable = tuple(env for env in envs if isinstance(per_env[env], NotApplicable))
        not_measured = tuple(env for env in envs if isinstance(per_env[env], NotMeasured))
        if not_measured:
            result[group] = GroupMean(group, None, 0, None, zero, not_applicable, not_measured)
            continue
        if protocol == "paper-2024":
            envs = [env for env in envs if env not in not_applicable]
        values = [float(per_env[env]) if _is_number(per_env[env]) else 0.0 for env in envs]
        mean = float(np.mean(values)) if values else None
        ci = None
        if protocol == "cwmb-v1" and values:
            ci = bootstrap_ci(values, n_resamples=n_resamples, seed=seed)
        result[group] = GroupMean(group, mean, len(values), ci, zero, not_applicable)
    return result
