"""Small valid result files for the leaderboard tests, shaped as `cwmb-eval` writes them (`cwmb.results`;
the keys of an env entry are those of a real `cwmb-eval submissions/exact/` result).

`evaluated(...)` builds an evaluated run on a fake dataset revision; the tests give the store the same
revision (`Store(..., dataset_revision=REVISION)`, or `--data` a folder from `fake_dataset`).
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

from cwmb.protocols import PROTOCOLS
from cwmb.references import MissingReference, reference_returns
from cwmb.registry import ENV_IDS
from leaderboard.store import RESULTS_DIR, Store

REVISION = "f" * 64
REPORTED = ["paper-2024__reported-table-2__gif-mcts-gpt-4-turbo-10-calls.json",
            "paper-2024__reported-table-11__gif-mcts-gpt-4-turbo-10-calls.json",
            "paper-2024__reported-table-12__oracle-planner.json"]


def evaluated(name: str = "tiny", *, protocol: str = "cwmb-v1", revision: str = REVISION, seed: int | None = 0,
              method: str = "hand-written", isolation: str | None = "bubblewrap", description: str | None = None,
              accuracy: float | dict[str, float] = 0.5, normalised: float | dict[str, float | None] = 0.5,
              failed: tuple[str, ...] = (), not_applicable: tuple[str, ...] = (),
              splits: tuple[str, ...] = ("train", "test")) -> dict[str, Any]:
    """An evaluated result with every env: `accuracy`/`normalised` per env (a number for all, or a dict).

    `isolation`: the sandbox level recorded in `result["isolation"]` (None: no such field, as in results
    written before it was recorded)."""
    envs = {}
    for env_id in ENV_IDS:
        n_episodes = PROTOCOLS[protocol].episodes_for(env_id)
        if env_id in failed:
            envs[env_id] = {"status": "failed", "failure": {"category": "timeout", "message": "step() took 2.1 s, "
                            "limit 1.0 s", "traceback": ""}, "accuracy": {}, "planning": None,
                            "seconds": {"accuracy": 1.0, "planning": 0.0}}
            continue
        try:  # the store checks that runs are normalised with the shipped references
            r_random, r_oracle = reference_returns(protocol, env_id)
        except MissingReference:
            r_random = r_oracle = None
        acc = accuracy[env_id] if isinstance(accuracy, dict) else accuracy
        norm = normalised.get(env_id) if isinstance(normalised, dict) else normalised
        reason = "oracle no better than random" if env_id in not_applicable else None
        if reason:
            norm = None
        envs[env_id] = {
            "status": "ok",
            "failure": None,
            "accuracy": {split: {"protocol": protocol, "env_id": env_id, "accuracy": acc, "state_accuracy": acc,
                                 "reward_accuracy": acc, "done_accuracy": acc, "fully_correct": acc,
                                 "n_transitions": 100, "n_failed": 0, "mispredictions": [], "failures": {}}
                         for split in splits},
            "planning": {"episode_returns": [1.5] * n_episodes, "episode_seeds": list(range(n_episodes)),
                         "mean_return": 1.5, "failed_plans": 0, "random_return": r_random, "oracle_return": r_oracle,
                         "normalised_return": norm, "not_applicable": reason,
                         "normalised_ci95": None if norm is None else [norm - 0.1, norm + 0.1]},
            "seconds": {"accuracy": 0.1, "planning": 1.0},
        }
    result = {
        "schema_version": 1,
        "kind": "evaluated",
        "harness_version": "0.1.0",
        "created": "2026-11-26T09:00:00Z",
        "submission": {"name": name, "method": method, "model": None, "llm_calls": 0, "seed": seed,
                       "url": "https://example.org/" + name, "sha256": "ab" * 32, "files": {}},
        "protocol": PROTOCOLS[protocol].to_dict(),
        "dataset": {"revision": revision, "source": "packaged"},
        "libraries": {"python": "3.11.2", "cwmb": "0.1.0", "gymnasium": "1.4.0", "mujoco": "4.0.0", "numpy": "2.4.6"},
        "envs": envs,
        "aggregate": {"accuracy": {"mean": None, "ci95": None}, "normalised_return": {"mean": None, "ci95": None},
                      "discrete": {"accuracy": {"mean": None, "ci95": None},
                                   "normalised_return": {"mean": None, "ci95": None}},
                      "continuous": {"accuracy": {"mean": None, "ci95": None},
                                     "normalised_return": {"mean": None, "ci95": None}}},
        "source": None,
    }
    if description is not None:
        result["submission"]["description"] = description
    if isolation is not None:
        result["isolation"] = {"level": isolation}
    return result


def write(result: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(result, indent=1) + "\n")
    return path


def modified(result: dict[str, Any], change) -> dict[str, Any]:
    """A deep copy of `result` with `change(copy)` applied."""
    other = copy.deepcopy(result)
    change(other)
    return other


def fake_dataset(folder: Path) -> Path:
    """A Hub-layout folder with one tiny 'Parquet' file, enough for `dataset_revision(folder)`."""
    (folder / "data" / "Taxi-v4").mkdir(parents=True)
    (folder / "data" / "Taxi-v4" / "test-00000-of-00001.parquet").write_bytes(b"not really parquet")
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> bytes), to assert that nothing changed."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def populate(folder: Path, revision: str = REVISION) -> Store:
    """A store of 9 runs: 3 committed reported rows; under cwmb-v1 evaluated "alpha" (with a description),
    "beta" (one failed env), a hostile name, the "exact" reference submission and an oracle reference;
    "alpha" under paper-2024 (two envs N/A)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in REPORTED:
        shutil.copy(RESULTS_DIR / name, folder / name)
    store = Store(folder, dataset_revision=revision)
    store.add_result(evaluated("alpha", normalised=0.9, accuracy=0.8, revision=revision,
                               description="GIF-MCTS with a small model, 10 calls per environment."))
    store.add_result(evaluated("beta", normalised=0.3, accuracy=0.95, failed=("Ant-v5",), revision=revision))
    store.add_result(evaluated("alpha", protocol="paper-2024", normalised=0.7, revision=revision,
                               not_applicable=("MountainCar-v0", "Acrobot-v1")))
    store.add_result(evaluated("a|b <script>alert(1)</script>", normalised=0.1, revision=revision))
    store.add_result(evaluated("oracle", method="oracle", normalised=1.0, accuracy=1.0, revision=revision))
    store.add_result(evaluated("exact", normalised={e: 1.0 for e in ENV_IDS[:6]} | {e: 0.0 for e in ENV_IDS[6:]},
                               accuracy=1.0, failed=ENV_IDS[7:], revision=revision))
    return store
