"""Aggregates of one run per action kind, by the protocol's averaging rules, with bootstrap 95% intervals.

The rules are `cwmb.metrics.normalise.aggregate`'s (the same code the harness uses), applied to the
per-env numbers of a result file over each group of environments (discrete, continuous, all 18):

- a failed env counts 0 (both metrics, both protocols);
- an env whose normalised return is N/A (`not_applicable`: the oracle not measurably better than
  random, `cwmb.metrics.reference_advantage`) is left out under `paper-2024` (the paper's discrete
  mean over 4 envs) and counts 0 under `cwmb-v1`;
- a reference row's env still being computed (failed with category `incomplete_reference`) is not
  measured (`NotMeasured`): its group has no aggregate, rather than an oracle "0.33 of itself";
- an ok env without a number counts 0; but a group where *no* env has a number (the paper's Table 12
  prints returns only, no accuracy) has no aggregate (None), rather than a misleading 0.

Beside them, the graded state error (`cwmb.metrics.graded`, one step on the split): the mean over
the group's vector-state envs of 1 - R², each capped at 1 (worse than predicting the mean change
counts as no information) and a failed env counting 1 (no prediction is the static answer, ≈ 1);
no mean where an env has no graded metrics (schema-1 results, reported rows, the policy references).

The 95% interval is `cwmb.metrics.normalise.bootstrap_ci` over environments (resample the per-env
values that enter the mean, `N_BOOTSTRAP` times, seed `BOOTSTRAP_SEED`), for both protocols: the
paper printed none, the leaderboard shows one for every computed mean. Builds are deterministic.
"""

from __future__ import annotations

from typing import Any, Literal

from cwmb.metrics.normalise import NotApplicable, NotMeasured
from cwmb.references import INCOMPLETE_REFERENCE
from cwmb.metrics.normalise import aggregate as protocol_mean
from cwmb.metrics.normalise import bootstrap_ci as _bootstrap_ci
from cwmb.registry import CONTINUOUS_ENV_IDS, DISCRETE_ENV_IDS, ENV_IDS, get_env

N_BOOTSTRAP = 10_000
BOOTSTRAP_SEED = 0
GROUPS: dict[str, tuple[str, ...]] = {"discrete": DISCRETE_ENV_IDS, "continuous": CONTINUOUS_ENV_IDS, "all": ENV_IDS}
Metric = Literal["accuracy", "normalised_return"]
#: A graded state error above this counts as this in a mean over environments.
STATE_ERROR_CAP = 1.0


def bootstrap_ci(values: list[float]) -> list[float] | None:
    """The leaderboard's 95% interval of the mean of `values` ([low, high]); None for no values."""
    if not values:
        return None
    return list(_bootstrap_ci(values, n_resamples=N_BOOTSTRAP, seed=BOOTSTRAP_SEED))


def env_value(entry: dict[str, Any], metric: Metric, split: str) -> float | NotApplicable | NotMeasured | None:
    """One env's number for `metric` (accuracy on `split`) in `cwmb.metrics.normalise` terms:
    a number, `NotApplicable(reason)`, `NotMeasured(reason)` (an incomplete reference), or None
    (failed, or no number: counts 0)."""
    if entry["status"] == "failed":
        failure = entry.get("failure") or {}
        if failure.get("category") == INCOMPLETE_REFERENCE:
            return NotMeasured(str(failure.get("message") or INCOMPLETE_REFERENCE))
        return None
    if metric == "accuracy":
        return ((entry.get("accuracy") or {}).get(split) or {}).get("accuracy")
    planning = entry.get("planning") or {}
    value = planning.get("normalised_return")
    if value is None and planning.get("not_applicable"):
        return NotApplicable(str(planning["not_applicable"]))
    return value


def group_values(result: dict[str, Any], env_ids: tuple[str, ...], metric: Metric, split: str) -> list[float]:
    """The per-env values entering a group's mean under the protocol's rules; [] when no env has a number
    or one is not measured."""
    per_env = {env_id: env_value(result["envs"][env_id], metric, split) for env_id in env_ids}
    if not any(isinstance(v, (int, float)) for v in per_env.values()):
        return []
    if any(isinstance(v, NotMeasured) for v in per_env.values()):
        return []
    protocol = result["protocol"]["name"]
    return [0.0 if v is None or isinstance(v, NotApplicable) else float(v) for v in per_env.values()
            if not (protocol == "paper-2024" and isinstance(v, NotApplicable))]


def group_mean(result: dict[str, Any], env_ids: tuple[str, ...], metric: Metric, split: str) -> float | None:
    """The group's mean by `cwmb.metrics.normalise.aggregate` (one group: every env given the same kind)."""
    per_env = {env_id: env_value(result["envs"][env_id], metric, split) for env_id in env_ids}
    if not any(isinstance(v, (int, float)) for v in per_env.values()):
        return None
    means = protocol_mean(per_env, dict.fromkeys(env_ids, "discrete"), result["protocol"]["name"], n_resamples=1)
    return means["discrete"].mean


def state_error_values(result: dict[str, Any], env_ids: tuple[str, ...], split: str) -> list[float]:
    """The capped graded state errors of the group's vector-state envs entering its mean (see the
    module docstring); [] when some env has none (not measured) or the group has no vector-state env."""
    values = []
    for env_id in env_ids:
        if get_env(env_id).exact_state:  # discrete states keep exact match: accuracy says it
            continue
        entry = result["envs"][env_id]
        if entry["status"] == "failed":
            if (entry.get("failure") or {}).get("category") == INCOMPLETE_REFERENCE:
                return []
            values.append(STATE_ERROR_CAP)
            continue
        block = (entry.get("graded") or {}).get(split)
        if not block:
            return []
        if block.get("state_error") is not None:
            values.append(min(block["state_error"], STATE_ERROR_CAP))
    return values


def aggregate(result: dict[str, Any], split: str) -> dict[str, dict[str, dict[str, Any]]]:
    """`{group: {metric: {"mean", "ci95", "n", "origin"}}}` for the discrete, continuous and all groups.

    Reported rows that only print aggregates (the paper's Table 2) keep the printed mean and its printed
    error (`"origin": "printed"`); everything else is computed here from the per-env numbers.
    """
    printed = result.get("aggregate") or {}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for group, env_ids in GROUPS.items():
        out[group] = {}
        for metric in ("accuracy", "normalised_return"):
            values = group_values(result, env_ids, metric, split)
            cell: dict[str, Any] = {"mean": None, "ci95": None, "n": len(values), "origin": "computed"}
            if values:
                cell.update(mean=group_mean(result, env_ids, metric, split), ci95=bootstrap_ci(values))
            elif result["kind"] == "reported":
                number = _printed(printed, group, metric)
                if number.get("mean") is not None:
                    cell.update(mean=number["mean"], error=number.get("reported_error"), origin="printed")
            out[group][metric] = cell
        errors = state_error_values(result, env_ids, split)
        out[group]["state_error"] = {"mean": sum(errors) / len(errors) if errors else None,
                                     "ci95": bootstrap_ci(errors), "n": len(errors), "origin": "computed"}
    return out


def _printed(printed: dict[str, Any], group: str, metric: str) -> dict[str, Any]:
    block = printed if group == "all" else printed.get(group) or {}
    return (block.get(metric) if isinstance(block, dict) else None) or {}
