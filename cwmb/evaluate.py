"""Evaluate a code world model: protocol -> sandbox -> metrics -> planners -> result.

The unit of work is `evaluate_env`, a plain function of plain data (submission file, env id,
protocol name, episodes) returning a JSON-ready partial result; `evaluate` runs the units on a local
process pool (or in-process with `jobs=1`) and merges them. Nothing here prints; `cwmb.cli` does.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

import cwmb
from cwmb._atomic import write_text_atomically
from cwmb.backends import run_units
from cwmb.dataset.load import Transitions, dataset_revision, load_transitions, read_split
from cwmb.episodes import play_episode
from cwmb.errors import CWMBError, SubmissionError
from cwmb.metrics import NotApplicable, aggregate, bootstrap_ci, normalised_return, score_paper_2024, score_v1
from cwmb.protocols import Protocol, get_protocol
from cwmb.references import MissingReference, reference_returns
from cwmb.registry import ENVIRONMENTS, GYMNASIUM_VERSION, MUJOCO_VERSION, get_env
from cwmb.results import RESULT_SCHEMA_VERSION
from cwmb.sandbox import Failure, Limits, SandboxedWorldModel

SPLITS = ("train", "test")


class SubmissionFormatError(CWMBError):
    """A submission path that is not a `.py` file or a folder with `submission.json` (the message says why)."""


# -- submissions ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Submission:
    name: str
    metadata: dict[str, Any]
    files: dict[str, Path]
    """env id -> world model file."""


_METADATA_FIELDS = ("name", "method", "model", "llm_calls", "seed", "url")


def load_submission(path: str | Path, env_ids: list[str] | None = None) -> Submission:
    """A `.py` file (env from `env_ids` or the file name) or a folder of `<env_id>.py` + `submission.json`."""
    path = Path(path)
    if not path.exists():
        raise SubmissionFormatError(f"no such file or folder: {path}")
    if path.is_file():
        if path.suffix != ".py":
            raise SubmissionFormatError(f"{path} is not a Python file: pass a .py world model or a submission folder")
        ids = env_ids or [get_env(path.stem).env_id]
        if len(ids) != 1:
            raise SubmissionFormatError("one .py file is one environment's world model: pass exactly one --env")
        meta = {"name": path.stem, "method": None, "model": None, "llm_calls": None, "seed": None, "url": None}
        return Submission(path.stem, meta, {get_env(ids[0]).env_id: path})
    meta_path = path / "submission.json"
    if not meta_path.is_file():
        raise SubmissionFormatError(f"{path} has no submission.json: add one with {', '.join(_METADATA_FIELDS)}")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as error:
        raise SubmissionFormatError(f"{meta_path} is not valid JSON ({error})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise SubmissionFormatError(f"{meta_path} must be a JSON object with a non-empty string 'name'")
    files = {get_env(p.stem).env_id: p for p in sorted(path.glob("*.py")) if _is_env_file(p)}
    if env_ids:
        wanted = [get_env(e).env_id for e in env_ids]
        missing = [e for e in wanted if e not in files]
        if missing:
            raise SubmissionFormatError(f"{path} has no world model for {', '.join(missing)} (expected {missing[0]}.py)")
        files = {e: files[e] for e in wanted}
    if not files:
        raise SubmissionFormatError(f"{path} holds no <env_id>.py world model")
    return Submission(meta["name"], {k: meta.get(k) for k in _METADATA_FIELDS}, files)


def _is_env_file(path: Path) -> bool:
    try:
        get_env(path.stem)
        return True
    except CWMBError:
        return False


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- accuracy ---------------------------------------------------------------------------------------
def _score(protocol: Protocol, transitions: Transitions, predictions: list[Any]):
    score = score_v1 if protocol.accuracy_metric == "cwmb-v1" else score_paper_2024
    return score(transitions, predictions)


def _predict(model: SandboxedWorldModel, transitions: Transitions) -> tuple[list[Any], dict[str, int]]:
    """Predictions as metrics expect them ((next_state, reward, done) or None) and failure counts."""
    predictions, failures = [], {}
    for prediction in model.predict(transitions.obs, transitions.action):
        if prediction.failure is None:
            predictions.append((prediction.next_state, prediction.reward, prediction.done))
        else:
            predictions.append(None)
            failures[prediction.failure.category] = failures.get(prediction.failure.category, 0) + 1
    return predictions, failures


@dataclass(frozen=True)
class ProgramCheck:
    """The harness's verdict on one candidate program: all a synthesis method learns about it."""

    accuracy: float
    """cwmb-v1 transition accuracy in [0, 1]; 0.0 when the program failed to load."""
    failure: Failure | None = None
    """Load-time failure (the program could not be imported or instantiated), else None."""
    mispredictions: list[str] = field(default_factory=list)
    """Readable blocks describing mispredicted transitions (inputs, ground truth, prediction)."""
    step_errors: list[Failure] = field(default_factory=list)
    """Exceptions raised while stepping individual transitions (the first few)."""

    @property
    def raised(self) -> bool:
        """True when the program has a bug to fix: a load failure or an exception in some step."""
        return self.failure is not None or bool(self.step_errors)

    @property
    def first_error(self) -> Failure | None:
        """The error a *fix* prompt shows: the load failure, else the first step error."""
        if self.failure is not None:
            return self.failure
        return self.step_errors[0] if self.step_errors else None


#: A solver checks many candidates against the same split: read and decode it once per process.
_split_for_checks = functools.lru_cache(maxsize=len(ENVIRONMENTS) * len(SPLITS))(load_transitions)


def check_program(source: str, env_id: str, *, split: str = "train", limits: Limits | None = None) -> ProgramCheck:
    """Score program text on one split under cwmb-v1, in the sandbox. Never raises for a bad program."""
    record = get_env(env_id)
    transitions = _split_for_checks(record.env_id, split)
    with tempfile.TemporaryDirectory(prefix="cwmb-check-") as folder:
        path = Path(folder) / f"{record.env_id}.py"
        path.write_text(source)
        with SandboxedWorldModel(path, record.env_id, limits=limits or Limits()) as model:
            try:
                raw = model.predict(transitions.obs, transitions.action)
            except SubmissionError as error:
                return ProgramCheck(0.0, Failure(error.category, str(error), getattr(error, "traceback", "")), [], [])
    predictions = [None if p.failure else (p.next_state, p.reward, p.done) for p in raw]
    step_errors = [p.failure for p in raw if p.failure is not None][:3]
    result = score_v1(transitions, predictions)
    return ProgramCheck(result.accuracy, None, [m.describe() for m in result.mispredictions], step_errors)


# -- one environment ----------------------------------------------------------------------------------
def evaluate_env(
    path: str,
    env_id: str,
    protocol_name: str,
    *,
    episodes: int | None = None,
    splits: tuple[str, ...] = SPLITS,
    skip_planning: bool = False,
    paper_data: str | None = None,
) -> dict[str, Any]:
    """Accuracy on `splits` and planning return of one world model file: the `envs.<id>` result entry."""
    protocol = get_protocol(protocol_name)
    record = get_env(env_id)
    entry: dict[str, Any] = {"status": "ok", "failure": None, "accuracy": {}, "planning": None, "seconds": {}}
    start = time.perf_counter()
    with SandboxedWorldModel(path, record.env_id, limits=Limits()) as model:
        try:
            model.load()
        except SubmissionError as error:
            failure = Failure(error.category, str(error), getattr(error, "traceback", ""))
            return _failed_entry(entry, failure, record.env_id, protocol, splits, paper_data)
        for split in splits:
            transitions = _transitions_for(protocol, record.env_id, split, paper_data)
            predictions, failures = _predict(model, transitions)
            result = _score(protocol, transitions, predictions).to_dict()
            result["failures"] = failures
            entry["accuracy"][split] = result
        entry["seconds"]["accuracy"] = round(time.perf_counter() - start, 3)
        if not skip_planning:
            start = time.perf_counter()
            entry["planning"] = _planning(record.env_id, protocol, model, episodes or protocol.episodes_for(record.env_id))
            entry["seconds"]["planning"] = round(time.perf_counter() - start, 3)
    return entry


def evaluate_source(source: bytes, filename: str, env_id: str, protocol_name: str, **options: Any) -> dict[str, Any]:
    """`evaluate_env` on the program's bytes instead of a path: the unit of work a backend ships to a
    worker, which may be another machine (`cwmb.backends`)."""
    with tempfile.TemporaryDirectory(prefix="cwmb-eval-") as folder:
        path = Path(folder) / filename
        path.write_bytes(source)
        return evaluate_env(str(path), env_id, protocol_name, **options)


def _transitions_for(protocol: Protocol, env_id: str, split: str, paper_data: str | None) -> Transitions:
    """paper-2024 scores the authors' imported release when given (it has one split, train)."""
    if protocol.accuracy_metric == "paper-2024" and paper_data and split == "train":
        return Transitions.from_table(env_id, read_split(env_id, "train", paper_data))
    return load_transitions(env_id, split)


def _failed_entry(entry, failure: Failure, env_id, protocol, splits, paper_data) -> dict[str, Any]:
    entry["status"], entry["failure"] = "failed", failure.to_dict()
    for split in splits:
        missing = failure.category == "missing_world_model"  # nothing was run: no data needed
        n = 0 if missing else len(_transitions_for(protocol, env_id, split, paper_data))
        entry["accuracy"][split] = {
            "protocol": protocol.accuracy_metric, "env_id": env_id, "accuracy": 0.0, "state_accuracy": 0.0,
            "reward_accuracy": 0.0, "done_accuracy": 0.0, "fully_correct": 0.0, "n_transitions": n,
            "n_failed": n, "mispredictions": [], "failures": {failure.category: n},
        }
    return entry


def _planning(env_id: str, protocol: Protocol, model: SandboxedWorldModel, episodes: int) -> dict[str, Any]:
    record = get_env(env_id)
    results = [play_episode(record, protocol, e, model) for e in range(episodes)]
    returns = [r.episode_return for r in results]
    planning: dict[str, Any] = {
        "episode_returns": returns,
        "episode_seeds": [r.seed for r in results],
        "mean_return": float(np.mean(returns)),
        "failed_plans": int(sum(r.failed_plans for r in results)),
    }
    return normalise_planning(planning, protocol.name, env_id)


def normalise_planning(planning: dict[str, Any], protocol_name: str, env_id: str) -> dict[str, Any]:
    """Set the reference fields of a `planning` entry from its episode returns and the shipped references."""
    planning.update(random_return=None, oracle_return=None, normalised_return=None, not_applicable=None,
                    normalised_ci95=None)
    try:
        r_random, r_oracle = reference_returns(protocol_name, env_id)
    except MissingReference as error:
        planning["not_applicable"] = str(error)
        return planning
    planning["random_return"], planning["oracle_return"] = r_random, r_oracle
    returns = planning["episode_returns"]
    value = normalised_return(planning["mean_return"], r_random, r_oracle, env_id=env_id)
    if isinstance(value, NotApplicable):
        planning["not_applicable"] = str(value)
    else:
        planning["normalised_return"] = float(value)
        per_episode = [(r - r_random) / (r_oracle - r_random) for r in returns]
        planning["normalised_ci95"] = list(bootstrap_ci(per_episode, n_resamples=2000, seed=0)) if len(returns) > 1 else None
    return planning


def renormalise(result: dict[str, Any]) -> dict[str, Any]:
    """An evaluated result with its normalised returns recomputed from the shipped references.

    Reference returns gain episodes over time (`python -m cwmb.references`); the episodes a world
    model played do not change, so its result is brought up to date without playing them again.
    """
    protocol = result["protocol"]["name"]
    for env_id, entry in result["envs"].items():
        if entry.get("planning"):
            normalise_planning(entry["planning"], protocol, env_id)
    result["aggregate"] = aggregate_result(result["envs"], protocol)
    return result


# -- a whole submission ---------------------------------------------------------------------------
def evaluate(
    path: str | Path,
    *,
    env_ids: list[str] | None = None,
    protocol: str = "cwmb-v1",
    episodes: int | None = None,
    skip_planning: bool = False,
    jobs: int = 1,
    backend: str = "local",
    partial_dir: Path | None = None,
    paper_data: str | None = None,
    on_env_done: Callable[[str, dict[str, Any]], None] | None = None,
    splits: tuple[str, ...] = SPLITS,
) -> dict[str, Any]:
    """Evaluate a submission on its environments; returns the result dict (see `cwmb.results`).

    Environments are units of work run by `backend` ("local" or "ray", see `cwmb.backends`) on `jobs`
    workers. With `partial_dir`, each finished environment is saved there at once and reused on the next call
    (resume after an interruption); the caller deletes the folder after writing the result.
    """
    the_protocol = get_protocol(protocol)
    submission = load_submission(path, env_ids)
    hashes = {env: file_sha256(p) for env, p in submission.files.items()}
    envs: dict[str, dict[str, Any]] = {}
    if partial_dir is not None:
        envs.update(_load_partials(partial_dir, hashes, protocol))
    todo = [e for e in submission.files if e not in envs]
    kwargs = {"episodes": episodes, "skip_planning": skip_planning, "paper_data": paper_data, "splits": splits}

    def finished(env_id: str, entry: dict[str, Any]) -> None:
        envs[env_id] = entry
        if partial_dir is not None:
            _save_partial(partial_dir, env_id, hashes[env_id], protocol, entry)
        if on_env_done:
            on_env_done(env_id, entry)

    units = {
        env_id: {"source": submission.files[env_id].read_bytes(), "filename": submission.files[env_id].name,
                 "env_id": env_id, "protocol_name": protocol, **kwargs}
        for env_id in todo
    }
    for env_id, entry in run_units(evaluate_source, units, backend=backend, jobs=jobs):
        finished(env_id, entry)
    if env_ids is None and Path(path).is_dir():
        # A folder is scored on every environment: one without a world model scores 0 there.
        for env_id in ENVIRONMENTS:
            if env_id not in envs:
                missing = Failure("missing_world_model", f"the submission has no {env_id}.py", "")
                entry = {"status": "ok", "failure": None, "accuracy": {}, "planning": None, "seconds": {}}
                envs[env_id] = _failed_entry(entry, missing, env_id, the_protocol, splits, paper_data)
    ordered = {e: envs[e] for e in ENVIRONMENTS if e in envs}
    return {
        "schema_version": RESULT_SCHEMA_VERSION,
        "kind": "evaluated",
        "harness_version": cwmb.__version__,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "submission": {**submission.metadata, "sha256": _combined_hash(hashes), "files": hashes},
        "protocol": the_protocol.to_dict(),
        "dataset": {
            "revision": dataset_revision(),
            "env_revisions": {
                env_id: dataset_revision(env_ids=[env_id])
                for env_id, entry in ordered.items()
                if not (entry["failure"] and entry["failure"]["category"] == "missing_world_model")
            },
            "source": "packaged",
            "paper_data": paper_data,
        },
        "libraries": library_versions(),
        "envs": ordered,
        "aggregate": aggregate_result(ordered, protocol),
        "source": None,
    }


def _combined_hash(hashes: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()


def library_versions() -> dict[str, str]:
    import gymnasium
    import mujoco

    return {
        "python": platform.python_version(),
        "cwmb": cwmb.__version__,
        "gymnasium": gymnasium.__version__,
        "mujoco": mujoco.__version__,
        "numpy": np.__version__,
    }


def simulator_version_warning() -> str | None:
    """A loud warning when the installed simulators differ from those the data was built with."""
    installed = library_versions()
    if installed["gymnasium"] == GYMNASIUM_VERSION and installed["mujoco"] == MUJOCO_VERSION:
        return None
    return (
        f"WARNING: installed gymnasium {installed['gymnasium']} / mujoco {installed['mujoco']} differ from the "
        f"dataset's {GYMNASIUM_VERSION} / {MUJOCO_VERSION}; numbers are not comparable. "
        f'Fix: pip install "gymnasium=={GYMNASIUM_VERSION}" "mujoco=={MUJOCO_VERSION}"'
    )


def aggregate_result(envs: dict[str, dict[str, Any]], protocol: str) -> dict[str, Any]:
    """Means over the evaluated environments, by action kind, with the protocol's rules."""
    the_protocol = get_protocol(protocol)
    kinds = {e: get_env(e).action_kind for e in envs}
    accuracy: dict[str, Any] = {}
    returns: dict[str, Any] = {}
    for env_id, entry in envs.items():
        scored = entry["accuracy"].get(the_protocol.scored_split) or next(iter(entry["accuracy"].values()), None)
        accuracy[env_id] = scored["accuracy"] if scored and entry["status"] == "ok" else None
        planning = entry.get("planning")
        if planning is None or entry["status"] != "ok":
            returns[env_id] = None
        elif planning["normalised_return"] is not None:
            returns[env_id] = planning["normalised_return"]
        else:
            returns[env_id] = NotApplicable(planning["not_applicable"] or "no references")
    out: dict[str, Any] = {}
    for name, values in (("accuracy", accuracy), ("normalised_return", returns)):
        if name == "normalised_return" and all(e.get("planning") is None for e in envs.values()):
            out[name] = None
            continue
        groups = aggregate(values, kinds, protocol, n_resamples=2000, seed=0)
        out[name] = {g: {"mean": m.mean, "ci95": list(m.ci) if m.ci else None, "n_envs": m.n_envs} for g, m in groups.items()}
    return out


# -- resume -----------------------------------------------------------------------------------------
def _save_partial(folder: Path, env_id: str, sha: str, protocol: str, entry: dict[str, Any]) -> None:
    write_text_atomically(folder / f"{env_id}.json", json.dumps({"sha256": sha, "protocol": protocol, "entry": entry}))


def _load_partials(folder: Path, hashes: dict[str, str], protocol: str) -> dict[str, dict[str, Any]]:
    found = {}
    for env_id, sha in hashes.items():
        path = folder / f"{env_id}.json"
        if path.exists():
            saved = json.loads(path.read_text())
            if saved["sha256"] == sha and saved["protocol"] == protocol:
                found[env_id] = saved["entry"]
    return found
