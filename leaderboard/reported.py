"""The paper's numbers as **reported** result files (`kind: "reported"`, protocol `paper-2024`).

Source: Dainese et al., NeurIPS 2024 (arXiv 2405.15383), as transcribed in the reference file
`paper_results.json` (read here when the rows are regenerated; it is not part of the project):

- Table 2: discrete/continuous aggregates (mean ± the paper's printed error) of GIF-MCTS and
  WorldCoder; no per-env numbers, so each env entry is `ok` with none;
- Tables 10 and 11: per-env accuracy and normalised return of the same four (method, model) rows;
  an accuracy printed as N/A is a failed synthesis (`failed`, category `synthesis_failed`), a
  normalised return printed as N/A is `not_applicable` (oracle no better than random);
- Table 12: raw planning returns (10 episodes) of the random policy, CQL, GIF-MCTS (two models) and
  the oracle planner. Their normalised returns are derived here from the same table as
  (R - random) / (oracle - random), N/A where the oracle is no better than random; the source note
  says so (the paper's own per-env normalised returns are in Tables 10/11 and do not always follow
  from Table 12).

The protocol block names `paper-2024` and holds the planner settings the paper printed (not
`PAPER_2024.to_dict()`: the paper ran its own code). The paper's env ids (Gymnasium 0.29.1) are
mapped to CWMB's and kept as `paper_env_id`. These rows
are never averaged with reproduced runs; the leaderboard labels them "reported".

Regenerate the committed files with `cwmb-leaderboard import-paper PATH/TO/paper_results.json`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from cwmb.protocols import PAPER_2024
from cwmb.registry import ENV_IDS, get_env

PAPER_URL = "https://arxiv.org/abs/2405.15383"
_NOT_APPLICABLE = "N/A in the paper: the oracle planner was no better than random"

#: Table 12 columns -> (name, method, model, LLM calls, what a missing value means).
_TABLE12_COLUMNS = {
    "random": ("random policy", "random", None, None, "not reported"),
    "cql": ("CQL (offline RL)", "cql", None, None, "not reported"),
    "gif-mcts Llama-3-70B": ("gif-mcts (Llama-3-70B-Instruct, 50 calls)", "gif-mcts", "Llama-3-70B-Instruct", 50,
                             "failed"),
    "gif-mcts gpt-4-turbo": ("gif-mcts (gpt-4-turbo, 10 calls)", "gif-mcts", "gpt-4-turbo", 10, "failed"),
    "oracle planner": ("oracle planner", "oracle", None, None, "not reported"),
}


def reported_results(paper: dict[str, Any]) -> list[dict[str, Any]]:
    """Every reported result file of the paper (Table 2, Tables 10/11, Table 12), as result dicts."""
    origin = {"citation": paper["source"], "planners": paper["planner_settings_paper"]}
    results = [_table2(row, origin) for row in paper["cwmb_aggregate_table2"]]
    results += [_per_env_table(row, origin) for row in paper["cwmb_per_env_tables10_11"]]
    results += _table12(paper["raw_returns_table12"], origin)
    return results


def write_reported(paper_json: str | Path, store) -> list[Path]:
    """Regenerate the reported files in `store` (a `leaderboard.store.Store`), replacing older versions."""
    paper = json.loads(Path(paper_json).read_text(encoding="utf-8"))
    return [store.add_result(result, where=f"reported {result['source']['table']}", replace=True)
            for result in reported_results(paper)]


# ----------------------------------------------------------------------------------------------------------------
# One builder per table


def _table2(row: dict[str, Any], origin: dict[str, Any]) -> dict[str, Any]:
    def printed(key: str) -> dict[str, Any]:
        mean, error = row[key]
        return {"mean": mean, "ci95": None, "reported_error": error}

    seeds = row["seeds"]
    result = _skeleton(row["method"], row["model"], row["llm_calls"], origin, "Table 2",
                       f"mean over {seeds} seed{'s' if seeds > 1 else ''} with the error printed after ±; "
                       "the paper prints no per-env numbers in this table")
    result["envs"] = {env_id: _entry(env_id, "ok", note="not in this table") for env_id in ENV_IDS}
    result["aggregate"].update(
        discrete={"accuracy": printed("discrete_accuracy"), "normalised_return": printed("discrete_return")},
        continuous={"accuracy": printed("continuous_accuracy"), "normalised_return": printed("continuous_return")},
    )
    return result


def _per_env_table(row: dict[str, Any], origin: dict[str, Any]) -> dict[str, Any]:
    match = re.fullmatch(r"(Table \d+)\s*(?:\((.*)\))?", row["source"])
    if match is None:
        raise ValueError(f"unexpected table label {row['source']!r}; expected e.g. 'Table 10 (first of 3 seeds)'")
    table, note = match.group(1), match.group(2) or ""
    result = _skeleton(row["method"], row["model"], row["llm_calls"], origin, table,
                       (note + "; " if note else "") + "per-env accuracy and normalised return as printed")
    envs = {}
    for paper_id, numbers in row["envs"].items():
        env_id = get_env(paper_id).env_id
        accuracy, normalised = numbers["accuracy"], numbers["normalized_return"]
        planning = _planning(normalised=normalised,
                             not_applicable=_NOT_APPLICABLE if normalised is None else None)
        if accuracy is None:
            envs[env_id] = _entry(env_id, "failed", paper_id=paper_id, planning=planning, failure=(
                "synthesis_failed", f"the paper prints N/A accuracy and a normalised return of {normalised} "
                "(a failed synthesis, counted as 0)"))
        else:
            envs[env_id] = _entry(env_id, "ok", paper_id=paper_id, accuracy=accuracy, planning=planning)
    result["envs"] = _in_registry_order(envs)
    return result


def _table12(table: dict[str, Any], origin: dict[str, Any]) -> list[dict[str, Any]]:
    columns = table["columns"]
    unknown = [c for c in columns if c not in _TABLE12_COLUMNS]
    if unknown:
        raise ValueError(f"unknown Table 12 columns {unknown}; known: {', '.join(_TABLE12_COLUMNS)}")
    random_col, oracle_col = columns.index("random"), columns.index("oracle planner")
    results = []
    for col, column in enumerate(columns):
        name, method, model, calls, missing = _TABLE12_COLUMNS[column]
        result = _skeleton(method, model, calls, origin, "Table 12",
                           f"raw returns (mean of {table['episodes']} episodes) as printed; normalised returns "
                           "derived by CWMB from this table as (R - random) / (oracle - random)", name=name)
        envs = {}
        for paper_id, values in table["envs"].items():
            env_id = get_env(paper_id).env_id
            value, low, high = values[col], values[random_col], values[oracle_col]
            if value is None and missing == "failed":
                envs[env_id] = _entry(env_id, "failed", paper_id=paper_id, failure=(
                    "synthesis_failed", "the paper prints no return (no code world model was synthesised)"))
                continue
            if value is None:
                planning = _planning(not_applicable="the paper prints no return for this env")
            elif high is None or low is None or high <= low:
                planning = _planning(value, low, high, not_applicable=_NOT_APPLICABLE)
            else:
                planning = _planning(value, low, high, normalised=round((value - low) / (high - low), 4))
            envs[env_id] = _entry(env_id, "ok", paper_id=paper_id, planning=planning)
        result["envs"] = _in_registry_order(envs)
        results.append(result)
    return results


# ----------------------------------------------------------------------------------------------------------------
# Pieces of a result file (cwmb.results schema)


def _skeleton(method: str, model: str | None, calls: int | None, origin: dict[str, Any], table: str, note: str,
              *, name: str | None = None) -> dict[str, Any]:
    if name is None:
        name = f"{method} ({model}, {calls} calls)"
    unknown = {"mean": None, "ci95": None}
    return {
        "schema_version": 1,
        "kind": "reported",
        "harness_version": None,
        "created": None,
        "submission": {"name": name, "method": method, "model": model, "llm_calls": calls, "seed": None,
                       "url": PAPER_URL, "sha256": None, "files": {}},
        # The paper's own settings as printed, not `PAPER_2024.to_dict()`: the paper ran its code, not ours.
        "protocol": {"name": PAPER_2024.name, "accuracy_metric": PAPER_2024.accuracy_metric,
                     "scored_split": PAPER_2024.scored_split, "planners_as_printed": origin["planners"]},
        "dataset": {"revision": None, "source": "the paper's own data (Gymnasium 0.29.1, MuJoCo v4 environments)"},
        "libraries": {"python": None, "cwmb": None, "gymnasium": "0.29.1", "mujoco": None, "numpy": None},
        "envs": {},
        "aggregate": {"accuracy": dict(unknown), "normalised_return": dict(unknown)},
        "source": {"paper": origin["citation"], "table": table, "note": note, "url": PAPER_URL},
    }


def _entry(env_id: str, status: str, *, paper_id: str | None = None, accuracy: float | None = None,
           planning: dict[str, Any] | None = None, failure: tuple[str, str] | None = None,
           note: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "status": status,
        "failure": None if failure is None else {"category": failure[0], "message": failure[1], "traceback": None},
        "paper_env_id": paper_id or get_env(env_id).paper_id,
        "accuracy": {} if accuracy is None else {PAPER_2024.scored_split: {
            "accuracy": accuracy, "state_accuracy": None, "reward_accuracy": None, "done_accuracy": None,
            "fully_correct": None, "n_transitions": None, "n_failed": None, "failures": {}}},
        "planning": planning,
        "seconds": None,
    }
    if note:
        entry["note"] = note
    return entry


def _planning(mean: float | None = None, random: float | None = None, oracle: float | None = None, *,
              normalised: float | None = None, not_applicable: str | None = None) -> dict[str, Any]:
    return {"episode_returns": None, "mean_return": mean, "random_return": random, "oracle_return": oracle,
            "normalised_return": normalised, "not_applicable": not_applicable, "normalised_ci95": None,
            "episode_seeds": None}


def _in_registry_order(envs: dict[str, Any]) -> dict[str, Any]:
    missing = [e for e in ENV_IDS if e not in envs]
    if missing:
        raise ValueError(f"the paper's table lacks {missing}")
    return {env_id: envs[env_id] for env_id in ENV_IDS}
