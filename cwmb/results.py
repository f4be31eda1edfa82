"""The result file: one JSON per (submission, protocol) run, versioned and written atomically.

Schema (version `RESULT_SCHEMA_VERSION`); every key is always present, unknown values are null:

```
{
  "schema_version": 2,                      # 1: the same without envs.<id>.graded (still read)
  "kind": "evaluated" | "reported",        # reported = numbers copied from a paper, never averaged with ours
  "harness_version": "0.1.0",
  "created": "2026-11-26T09:00:00Z",
  "submission": {"name", "method", "model", "llm_calls", "seed", "url", "description", "sha256",
                 "files": {env: sha256}},   # as in submission.json, checked by cwmb.evaluate.load_submission
  "protocol": {...Protocol.to_dict()...},
  "dataset": {"revision": sha256 of the transition files, "env_revisions": {env: sha256 of that env's files,
              for every env whose numbers used its data}, "source": "packaged" | path | repo id},
  "libraries": {"python", "cwmb", "gymnasium", "mujoco", "numpy"},
  "options": {"splits", "episodes", "skip_planning", "paper_data", "paper_data_revision"},
              # what else decides the numbers: `--resume` reuses an env only when these, its file's
              # sha256, the protocol and its data revision are unchanged (absent in older results)
  "envs": {
    "<env_id>": {
      "status": "ok" | "failed",
      "failure": null | {"category", "message", "traceback"},   # a sandbox category (cwmb.errors),
                      # "missing_world_model" (a folder without <env>.py: scored 0), or, for reference
                      # rows, "incomplete_reference" (fewer episodes computed than the protocol plays)
      "accuracy": {"<split>": {"accuracy", "state_accuracy", "reward_accuracy", "done_accuracy",
                               "fully_correct", "n_transitions", "n_failed", "failures": {category: count},
                               "failure_examples": {category: [{"category", "message", "traceback"}, ...]}}},
                      # up to 3 distinct messages per category, in time order; an env where every
                      # transition of a split failed is "failed" with the first of them
      "graded": {"<split>": {"revision", "state_metric": "1-R2" | "mismatch", "state_error", "reward_error",
                             "constant_state_dims": [...], "done_accuracy", "done_balanced_accuracy",
                             "n_terminal", "n_transitions", "n_failed",
                             "rollout": null | {"stride", "horizons": [1, 5, 10, 20], "state_error": [per horizon],
                                                "n_starts": [per horizon], "n_rollouts", "n_failed",
                                                "failures": {category: count}}}},
                      # beside the protocol's accuracy, the same under every protocol (cwmb.metrics.graded);
                      # errors are >= 0 (0 exact) or null (N/A); {} for a failed env; absent in schema 1
      "isolation": {"level": "bubblewrap" | "rlimits", "fallback_reason": null | why not bubblewrap,
                    "worker_report": {...what the worker said it did, informative only}},
      "planning": null | {"episode_returns": [...], "mean_return", "random_return", "oracle_return",
                          "normalised_return": float | null, "not_applicable": null | reason,
                          # N/A: the oracle not measurably better than random (cwmb.metrics.reference_advantage)
                          "normalised_ci95": [low, high] | null, "episode_seeds": [...]},
      "seconds": {"accuracy": s, "planning": s}
    }
  },
  "isolation": {"level": the weakest level any env ran under (null: none ran), "fallback_reasons": [...]},
  "aggregate": {"accuracy": {"mean", "ci95"}, "normalised_return": {"mean", "ci95"},
                "discrete": {...same two...}, "continuous": {...same two...}},
  "source": null | {"paper": ..., "table": ...}     # for reported rows
}
```
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from cwmb._atomic import write_text_atomically
from cwmb.errors import CWMBError

RESULT_SCHEMA_VERSION = 2
#: Versions `validate_result` accepts: older results load as they are (schema 1 has no graded metrics).
READABLE_SCHEMA_VERSIONS = (1, 2)
_TOP_LEVEL = ("schema_version", "kind", "harness_version", "submission", "protocol", "dataset", "envs", "aggregate")


class InvalidResult(CWMBError):
    """A result file that does not follow the schema (the message says where)."""


def validate_result(result: Any) -> None:
    """Raise `InvalidResult` naming the first problem: missing keys, wrong version, NaN, bad status."""
    if not isinstance(result, dict):
        raise InvalidResult("a result must be a JSON object")
    missing = [k for k in _TOP_LEVEL if k not in result]
    if missing:
        raise InvalidResult(f"result lacks {', '.join(missing)}")
    if result["schema_version"] not in READABLE_SCHEMA_VERSIONS:
        raise InvalidResult(f"schema_version {result['schema_version']!r}; this harness reads "
                            f"{', '.join(map(str, READABLE_SCHEMA_VERSIONS))}")
    if result["kind"] not in ("evaluated", "reported"):
        raise InvalidResult(f"kind must be 'evaluated' or 'reported', not {result['kind']!r}")
    if not isinstance(result["envs"], dict) or not result["envs"]:
        raise InvalidResult("envs must be a non-empty object keyed by environment id")
    for env_id, entry in result["envs"].items():
        if entry.get("status") not in ("ok", "failed"):
            raise InvalidResult(f"envs.{env_id}.status must be 'ok' or 'failed'")
        if "graded" in entry:
            _check_graded(f"envs.{env_id}.graded", entry["graded"])
    bad = _first_non_finite(result)
    if bad:
        raise InvalidResult(f"non-finite number at {bad}; write null for a missing value")


def _check_graded(where: str, graded: Any) -> None:
    """An env's graded metrics: per split, errors are numbers >= 0 or null, one rollout error per horizon."""
    if not isinstance(graded, dict) or not all(isinstance(block, dict) for block in graded.values()):
        raise InvalidResult(f"{where} must be an object of one object per split")
    for split, block in graded.items():
        rollout = block.get("rollout") or {}
        if not isinstance(rollout, dict) or not isinstance(rollout.get("state_error", []), list):
            raise InvalidResult(f"{where}.{split}.rollout must be null or an object with a state_error list")
        errors = [block.get("state_error"), block.get("reward_error"), *rollout.get("state_error", [])]
        if any(e is not None and (isinstance(e, bool) or not isinstance(e, (int, float)) or e < 0) for e in errors):
            raise InvalidResult(f"{where}.{split}: graded errors must be numbers >= 0 or null")
        if rollout and len(rollout["state_error"]) != len(rollout.get("horizons") or []):
            raise InvalidResult(f"{where}.{split}.rollout must hold one state_error per horizon")


def _first_non_finite(value: Any, where: str = "") -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return where or "<root>"
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _first_non_finite(item, f"{where}.{key}" if where else str(key))
        if found:
            return found
    return None


def write_result(result: dict[str, Any], path: str | Path) -> Path:
    """Validate and write atomically (temp file + rename): a killed run leaves no partial file."""
    validate_result(result)
    return write_text_atomically(path, json.dumps(result, indent=1, sort_keys=False, allow_nan=False) + "\n")


def read_result(path: str | Path) -> dict[str, Any]:
    """Read and validate a result file; one-line errors for unreadable or malformed JSON."""
    path = Path(path)
    try:
        result = json.loads(path.read_text())
    except FileNotFoundError:
        raise InvalidResult(f"no result file at {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidResult(f"{path} is not valid JSON ({error}); was the run interrupted?") from None
    validate_result(result)
    return result
