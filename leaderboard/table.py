"""Stored results -> leaderboard rows: one plain, JSON-ready dict per run, shared by the markdown, the page
and the plots.

A row carries its label (reported from a paper table, or reproduced by `cwmb-eval`), per-split
aggregates (`leaderboard.aggregate`), per-env numbers and provenance. Ranks compare **reproduced
submissions** of the same protocol only, by the mean normalised return over all envs (ties: accuracy
on the protocol's scored split). Unranked, shown for comparison:

- the references: the random-policy and oracle-planner rows (`submission.method` "random" or
  "oracle", normalised return 0 and 1 by definition) and the project's hand-written reference
  submissions `submissions/exact/` and `submissions/baseline-static/` (`REFERENCE_SUBMISSIONS`), which
  bound the scores rather than compete;
- reported rows (the paper's numbers on the paper's data).
"""

from __future__ import annotations

import json
import re
from typing import Any

from cwmb.protocols import PROTOCOLS
from cwmb.registry import ENV_IDS, get_env
from leaderboard.aggregate import aggregate
from leaderboard.store import LEADERBOARD_DIR, REFERENCE_METHODS, StoredResult, is_reference_policy, isolation_level

SPLITS = ("train", "test")
#: The project's own hand-written submissions (`submissions/<name>/`): an upper and a lower bound, never ranked.
REFERENCE_SUBMISSIONS = frozenset({"exact", "baseline-static"})
#: Submission folders, linked from the rows whose folder is committed (the page lives in `leaderboard/site/`).
SUBMISSIONS_DIR = LEADERBOARD_DIR.parent / "submissions"
_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def build_rows(stored: list[StoredResult]) -> list[dict[str, Any]]:
    """One row per stored run, ranked, in display order (per protocol: ranked, unranked, references, reported)."""
    rows = [_row(item) for item in stored]
    for protocol in PROTOCOLS:
        _rank([r for r in rows if r["protocol"] == protocol and r["kind"] == "reproduced" and not r["reference"]])
    return sorted(rows, key=display_order)


def display_order(row: dict[str, Any]) -> tuple[Any, ...]:
    protocols = list(PROTOCOLS)
    reported = row["kind"] == "reported"
    table = int(re.sub(r"\D", "", row["source"]["table"]) or 0) if reported else 0
    return (protocols.index(row["protocol"]), reported, row["reference"], row["rank"] is None, row["rank"] or 0,
            table, row["name"].lower(), row["id"])


def _row(item: StoredResult) -> dict[str, Any]:
    result = item.result
    protocol = PROTOCOLS[result["protocol"]["name"]]
    submission = result["submission"]
    source = result.get("source") if result["kind"] == "reported" else None
    splits = [s for s in SPLITS if any(s in (e.get("accuracy") or {}) for e in result["envs"].values())]
    splits = splits or [protocol.scored_split]
    kind = "reported" if result["kind"] == "reported" else "reproduced"
    policy = str(submission.get("method") or "").lower() in REFERENCE_METHODS
    reference = policy or (kind == "reproduced" and submission["name"] in REFERENCE_SUBMISSIONS)
    label = f"reported ({source['table']})" if source else "reproduced (reference)" if reference else "reproduced"
    dataset = result.get("dataset") or {}
    folder = _submission_folder(submission["name"]) if kind == "reproduced" else None
    return {
        "id": item.run_id,
        "file": f"results/{item.path.name}",
        "name": submission["name"],
        "method": submission.get("method"),
        "model": submission.get("model"),
        "llm_calls": submission.get("llm_calls"),
        "seed": submission.get("seed"),
        "url": submission.get("url"),
        "kind": kind,
        "label": label,
        "reference": reference,
        "source": source,
        "description": submission.get("description") or _committed_description(folder),
        "submission_folder": folder,
        "protocol": protocol.name,
        "scored_split": protocol.scored_split,
        "splits": splits,
        "rank": None,
        "aggregates": {split: aggregate(result, split) for split in splits},
        "envs": [_env(env_id, result["envs"][env_id]) for env_id in ENV_IDS],
        "provenance": {
            "harness_version": result.get("harness_version"),
            "created": result.get("created"),
            "dataset_revision": dataset.get("revision"),
            "dataset_source": dataset.get("source"),
            "paper_data": dataset.get("paper_data"),
            "libraries": result.get("libraries"),
            "submission_sha256": submission.get("sha256"),
            "isolation": _isolation(result),
        },
    }


def _isolation(result: dict[str, Any]) -> str | None:
    """The sandbox isolation level the run's world models ran at; "none needed" where no submitted code ran
    (random/oracle references), None for reported rows (the paper's own runs)."""
    if result["kind"] == "reported":
        return None
    return "none needed" if is_reference_policy(result) else isolation_level(result)


def _submission_folder(name: str) -> str | None:
    """`submissions/<name>/` (relative to the repository root) when that folder is committed, else None."""
    if not _FOLDER_NAME.fullmatch(name) or not (SUBMISSIONS_DIR / name / "submission.json").is_file():
        return None
    return f"submissions/{name}/"


def _committed_description(folder: str | None) -> str | None:
    """The `description` of a committed `submission.json` (results written before it was recorded)."""
    if folder is None:
        return None
    try:
        description = json.loads((SUBMISSIONS_DIR.parent / folder / "submission.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    text = description.get("description") if isinstance(description, dict) else None
    return text if isinstance(text, str) and text.strip() else None


def _env(env_id: str, entry: dict[str, Any]) -> dict[str, Any]:
    planning = entry.get("planning") or {}
    failure = entry.get("failure") or None
    accuracy = {split: (numbers or {}).get("accuracy") for split, numbers in (entry.get("accuracy") or {}).items()}
    return {
        "env_id": env_id,
        "paper_env_id": entry.get("paper_env_id") or get_env(env_id).paper_id,
        "action_kind": get_env(env_id).action_kind,
        "status": entry["status"],
        "failure": {"category": failure.get("category"), "message": failure.get("message")} if failure else None,
        "accuracy": accuracy,
        **_graded(entry),
        "mean_return": planning.get("mean_return"),
        "random_return": planning.get("random_return"),
        "oracle_return": planning.get("oracle_return"),
        "normalised_return": planning.get("normalised_return"),
        "normalised_ci95": planning.get("normalised_ci95"),
        "not_applicable": planning.get("not_applicable"),
        "note": entry.get("note"),
    }


def _graded(entry: dict[str, Any]) -> dict[str, Any]:
    """Per split: the graded one-step state error and the open-loop errors by horizon (`cwmb.metrics.graded`);
    empty for results without them (schema 1, reported rows)."""
    graded = {split: block for split, block in (entry.get("graded") or {}).items() if block}
    return {
        "state_metric": next((b["state_metric"] for b in graded.values()), None),
        "state_error": {split: b.get("state_error") for split, b in graded.items()},
        "rollout_error": {split: {"horizons": b["rollout"]["horizons"], "state_error": b["rollout"]["state_error"]}
                          for split, b in graded.items() if b.get("rollout")},
    }


def score(row: dict[str, Any]) -> tuple[float, float] | None:
    """Sort key of a row (higher is better): all-env normalised return, then scored-split accuracy."""
    cells = row["aggregates"].get(row["scored_split"]) or next(iter(row["aggregates"].values()))
    ret, acc = cells["all"]["normalised_return"]["mean"], cells["all"]["accuracy"]["mean"]
    if ret is None:
        return None
    return (ret, acc if acc is not None else float("-inf"))


def _rank(rows: list[dict[str, Any]]) -> None:
    scored = sorted((r for r in rows if score(r) is not None), key=score, reverse=True)
    previous, rank = None, 0
    for position, row in enumerate(scored, start=1):
        if score(row) != previous:
            rank, previous = position, score(row)
        row["rank"] = rank


def views(rows: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """The (protocol, split, rows) views that have rows: per protocol, its scored split first."""
    out = []
    for name, protocol in PROTOCOLS.items():
        splits = [protocol.scored_split] + [s for s in SPLITS if s != protocol.scored_split]
        for split in splits:
            chosen = [r for r in rows if r["protocol"] == name and split in r["splits"]]
            if chosen:
                out.append((name, split, chosen))
    return out
