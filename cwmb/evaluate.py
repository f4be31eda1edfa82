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
import re
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
from cwmb.metrics import NotApplicable, NotMeasured, aggregate, bootstrap_ci, normalised_return, score_paper_2024, score_v1
from cwmb.metrics.graded import GRADED_REVISION, graded_errors, rollout_plan
from cwmb.protocols import Protocol, get_protocol
from cwmb.references import INCOMPLETE_REFERENCE, MissingReference, reference_episode_returns
from cwmb.registry import ENVIRONMENTS, GYMNASIUM_VERSION, MUJOCO_VERSION, get_env
from cwmb.results import RESULT_SCHEMA_VERSION
from cwmb.sandbox import Failure, Limits, SandboxedWorldModel
from cwmb.sandbox.client import ISOLATION_LEVELS, Trajectory, FailureStreak

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


_METADATA_FIELDS = ("name", "method", "model", "llm_calls", "seed", "url", "description")
#: A submission's name becomes a file name (`results/<name>.<protocol>.json`, the leaderboard's
#: store), so it is a plain name, never a path: 1-100 letters, digits, '.', '_' or '-', starting
#: with a letter or digit ("../../evil" or "/tmp/x" would write outside results/).
SUBMISSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_NAME_RULE = "1-100 letters, digits, '.', '_' or '-', starting with a letter or digit"


def check_submission_name(name: Any, where: str) -> str:
    """`name` if it is a valid submission name (`SUBMISSION_NAME`), else `SubmissionFormatError`."""
    if not isinstance(name, str) or not SUBMISSION_NAME.fullmatch(name):
        raise SubmissionFormatError(f"{where}: 'name' must be {_NAME_RULE} (it names the result file), not {name!r}")
    return name


def _check_metadata(meta: Any, where: str) -> dict[str, Any]:
    """The typed metadata of a `submission.json` (absent fields are null); one-line error naming the field."""
    if not isinstance(meta, dict):
        raise SubmissionFormatError(f"{where} must be a JSON object with {', '.join(_METADATA_FIELDS)}")
    check_submission_name(meta.get("name"), where)
    for key in ("method", "model", "description"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise SubmissionFormatError(f"{where}: '{key}' must be a string or null, not {meta[key]!r}")
    for key, minimum in (("llm_calls", 0), ("seed", None)):
        value = meta.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or (minimum is not None and value < minimum)):
            kind = "an integer >= 0" if minimum is not None else "an integer"
            raise SubmissionFormatError(f"{where}: '{key}' must be {kind} or null, not {value!r}")
    url = meta.get("url")
    if url not in (None, "") and not (isinstance(url, str) and re.fullmatch(r"https?://[^\s/]+\S*", url)):
        raise SubmissionFormatError(f"{where}: 'url' must be an http(s):// address, empty or null, not {url!r}")
    return {key: meta.get(key) for key in _METADATA_FIELDS}


def load_submission(path: str | Path, env_ids: list[str] | None = None) -> Submission:
    """A `.py` file (env from `env_ids` or the file name) or a folder of `<env_id>.py` + `submission.json`.

    `submission.json` is checked field by field (`_check_metadata`): a malformed one is refused with
    one line naming the field, before any work.
    """
    path = Path(path)
    if not path.exists():
        raise SubmissionFormatError(f"no such file or folder: {path}")
    if path.is_file():
        if path.suffix != ".py":
            raise SubmissionFormatError(f"{path} is not a Python file: pass a .py world model or a submission folder")
        ids = env_ids or [get_env(path.stem).env_id]
        if len(ids) != 1:
            raise SubmissionFormatError("one .py file is one environment's world model: pass exactly one --env")
        name = check_submission_name(path.stem, f"{path} (a single file is named after it; rename it)")
        meta = dict.fromkeys(_METADATA_FIELDS) | {"name": name}
        return Submission(name, meta, {get_env(ids[0]).env_id: path})
    meta_path = path / "submission.json"
    if not meta_path.is_file():
        raise SubmissionFormatError(f"{path} has no submission.json: add one with {', '.join(_METADATA_FIELDS)}")
    try:
        meta = _check_metadata(json.loads(meta_path.read_text()), str(meta_path))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SubmissionFormatError(f"{meta_path} is not valid JSON ({error})") from None
    files = {get_env(p.stem).env_id: p for p in sorted(path.glob("*.py")) if _is_env_file(p)}
    if env_ids:
        wanted = [get_env(e).env_id for e in env_ids]
        missing = [e for e in wanted if e not in files]
        if missing:
            raise SubmissionFormatError(f"{path} has no world model for {', '.join(missing)} (expected {missing[0]}.py)")
        files = {e: files[e] for e in wanted}
    if not files:
        raise SubmissionFormatError(f"{path} holds no <env_id>.py world model")
    return Submission(meta["name"], meta, files)


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


FAILURE_EXAMPLES = 3
"""Distinct failures (by message) kept per category and split in a result."""


@dataclass
class SplitPredictions:
    """What a world model predicted for one split, as metrics expect it, and how it failed."""

    predictions: list[Any]
    """(next_state, reward, done) per transition, or None where it failed."""
    failures: dict[str, int]
    """Failed transitions per category."""
    examples: dict[str, list[Failure]]
    """The first `FAILURE_EXAMPLES` distinct failures (by message) per category, in time order."""
    rollout_plan: dict[int, int] | None = None
    """Open-loop rollouts run (`cwmb.metrics.graded.rollout_plan`: start row -> steps), None: none."""
    trajectories: dict[int, Trajectory | None] = field(default_factory=dict)
    """What the model predicted from each rollout start; None where the rollout failed."""
    rollout_failures: dict[str, int] = field(default_factory=dict)
    """Failed rollouts per category."""

    @property
    def all_failed(self) -> bool:
        return bool(self.predictions) and sum(self.failures.values()) == len(self.predictions)

    def first_failure(self) -> Failure | None:
        """The first example of the most frequent category (the one to show a user)."""
        if not self.failures:
            return None
        return self.examples[max(self.failures, key=self.failures.get)][0]


def predict_split(model: SandboxedWorldModel, transitions: Transitions, *, rollouts: bool = False) -> SplitPredictions:
    """Step `model` through a split in time order (`SandboxedWorldModel.predict` with its episodes):
    the one path by which the harness and every synthesis method score a world model.

    With `rollouts`, also the open-loop rollouts of the graded metrics (`cwmb.metrics.graded`),
    each sent in the round of its start state, before any later state of its episode. A rollout
    fails with the category of its start transition when that failed (it would begin with the same
    step) or was not run; after `cwmb.sandbox.client.FAIL_FAST_AFTER` rollouts time out in a row,
    the rest are not run.
    """
    predictions: list[Any] = []
    failures: dict[str, int] = {}
    examples: dict[str, list[Failure]] = {}
    plan = rollout_plan(transitions) if rollouts else None
    trajectories: dict[int, Trajectory | None] = {}
    rollout_failures: dict[str, int] = {}

    def rollout_failed(start: int, category: str) -> None:
        trajectories[start] = None
        rollout_failures[category] = rollout_failures.get(category, 0) + 1

    streak = FailureStreak()  # rollouts that time out in a row end the rollouts as they end predict

    def roll_out(indices: np.ndarray, answers: list[Any]) -> None:
        starts = [i for i, answer in zip(indices.tolist(), answers) if i in plan and answer.failure is None]
        if not starts or streak.verdict is not None:
            for start in starts:
                rollout_failed(start, streak.verdict.category)
            return
        sequences = [transitions.action[i : i + plan[i]] for i in starts]
        for start, result in zip(starts, model.trajectories([transitions.obs[i] for i in starts], sequences)):
            streak.add(result if isinstance(result, Failure) else None)
            if isinstance(result, Failure):
                rollout_failed(start, result.category)
            else:
                trajectories[start] = result

    predicted = model.predict(transitions.obs, transitions.action, transitions.episode,
                              after_round=roll_out if plan else None)
    for start in plan or {}:
        if start not in trajectories:  # its first step failed (or its round was not run: fail fast): so does it
            rollout_failed(start, predicted[start].failure.category)
    for prediction in predicted:
        failure = prediction.failure
        if failure is None:
            predictions.append((prediction.next_state, prediction.reward, prediction.done))
            continue
        predictions.append(None)
        failures[failure.category] = failures.get(failure.category, 0) + 1
        kept = examples.setdefault(failure.category, [])
        if len(kept) < FAILURE_EXAMPLES and all(k.message != failure.message for k in kept):
            kept.append(failure)
    return SplitPredictions(predictions, failures, examples, plan, trajectories, rollout_failures)


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
                split = predict_split(model, transitions)
            except SubmissionError as error:
                return ProgramCheck(0.0, Failure(error.category, str(error), getattr(error, "traceback", "")), [], [])
    step_errors = [failure for kept in split.examples.values() for failure in kept][:FAILURE_EXAMPLES]
    result = score_v1(transitions, split.predictions)
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
    entry: dict[str, Any] = {"status": "ok", "failure": None, "accuracy": {}, "graded": {}, "planning": None,
                             "seconds": {}}
    start = time.perf_counter()
    with SandboxedWorldModel(path, record.env_id, limits=Limits()) as model:
        try:
            model.load()
        except SubmissionError as error:
            failure = Failure(error.category, str(error), getattr(error, "traceback", ""))
            return _failed_entry(entry, failure, record.env_id, protocol, splits, paper_data)
        entry["isolation"] = model.isolation
        everything_failed: Failure | None = None
        for split in splits:
            transitions = _transitions_for(protocol, record.env_id, split, paper_data)
            predicted = predict_split(model, transitions, rollouts=True)
            result = _score(protocol, transitions, predicted.predictions).to_dict()
            entry["graded"][split] = graded_errors(transitions, predicted.predictions, predicted.rollout_plan,
                                                   predicted.trajectories, predicted.rollout_failures)
            result["failures"] = predicted.failures
            result["failure_examples"] = {c: [f.to_dict() for f in kept] for c, kept in predicted.examples.items()}
            entry["accuracy"][split] = result
            if predicted.all_failed and everything_failed is None:
                everything_failed = predicted.first_failure()
        entry["seconds"]["accuracy"] = round(time.perf_counter() - start, 3)
        if everything_failed is not None:
            # Not one transition of a split ran to the end: the model is broken, not inaccurate
            # (and would plan as the random policy does): failed, with what broke it, and no planning.
            entry["status"], entry["failure"] = "failed", everything_failed._replace(
                message=f"every transition of a split failed; the first: {everything_failed.message}").to_dict()
            return entry
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
    """Set the reference fields of a `planning` entry from its episode returns and the shipped references.

    The normalised return is N/A where the oracle is not measurably better than random
    (`cwmb.metrics.reference_advantage`: the references' per-episode spread decides).
    """
    planning.update(random_return=None, oracle_return=None, normalised_return=None, not_applicable=None,
                    normalised_ci95=None)
    try:
        random_returns, oracle_returns = reference_episode_returns(protocol_name, env_id)
    except MissingReference as error:
        planning["not_applicable"] = str(error)
        return planning
    r_random, r_oracle = float(np.mean(random_returns)), float(np.mean(oracle_returns))
    planning["random_return"], planning["oracle_return"] = r_random, r_oracle
    returns = planning["episode_returns"]
    value = normalised_return(planning["mean_return"], random_returns, oracle_returns, env_id=env_id)
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
    on_resume: Callable[[list[str], dict[str, str]], None] | None = None,
) -> dict[str, Any]:
    """Evaluate a submission on its environments; returns the result dict (see `cwmb.results`).

    Environments are units of work run by `backend` ("local" or "ray", see `cwmb.backends`) on `jobs`
    workers. With `partial_dir`, each finished environment is saved there at once and reused on the next call
    (resume after an interruption); the caller deletes the folder after writing the result. A saved
    env is reused only when everything that decides its numbers is unchanged (`_env_identity`: the
    program's hash, the protocol's settings, the options, the data); `on_resume(reused, stale)` is
    told which were reused and why the others are computed again.
    """
    the_protocol = get_protocol(protocol)
    submission = load_submission(path, env_ids)
    hashes = {env: file_sha256(p) for env, p in submission.files.items()}
    options = run_options(splits, episodes, skip_planning, paper_data)
    revisions = {env: dataset_revision(env_ids=[env]) for env in hashes}  # the data each env's numbers use
    identities = {env: _env_identity(env, sha, the_protocol.to_dict(), options, revisions[env])
                  for env, sha in hashes.items()}
    envs: dict[str, dict[str, Any]] = {}
    if partial_dir is not None:
        reused, stale = _load_partials(partial_dir, identities)
        envs.update(reused)
        if on_resume:
            on_resume(list(reused), stale)
    todo = [e for e in submission.files if e not in envs]
    kwargs = {"episodes": episodes, "skip_planning": skip_planning, "paper_data": paper_data, "splits": splits}

    def finished(env_id: str, entry: dict[str, Any]) -> None:
        envs[env_id] = entry
        if partial_dir is not None:
            _save_partial(partial_dir, env_id, identities[env_id], entry)
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
                entry = {"status": "ok", "failure": None, "accuracy": {}, "graded": {}, "planning": None, "seconds": {}}
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
            "env_revisions": {env_id: revisions[env_id] for env_id in ordered if env_id in revisions},
            "source": "packaged",
            "paper_data": paper_data,
        },
        "libraries": library_versions(),
        "options": options,
        "envs": ordered,
        "aggregate": aggregate_result(ordered, protocol),
        "isolation": result_isolation(ordered),
        "source": None,
    }


def result_isolation(envs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The weakest isolation any environment's world model ran under (None: no world model ran)."""
    levels = {env_id: entry["isolation"]["level"] for env_id, entry in envs.items() if entry.get("isolation")}
    weakest = min(levels.values(), key=ISOLATION_LEVELS.index, default=None)
    reasons = sorted({entry["isolation"].get("fallback_reason") for entry in envs.values()
                      if entry.get("isolation") and entry["isolation"].get("fallback_reason")})
    return {"level": weakest, "fallback_reasons": reasons}


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
        if (entry.get("failure") or {}).get("category") == INCOMPLETE_REFERENCE:
            returns[env_id] = NotMeasured(entry["failure"]["message"])  # a reference row not computed yet: no 0
        elif planning is None or entry["status"] != "ok":
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
def run_options(splits: tuple[str, ...], episodes: int | None, skip_planning: bool,
                paper_data: str | None) -> dict[str, Any]:
    """The options that change an environment's numbers, as a result records them (`options`)."""
    return {
        "splits": sorted(splits), "episodes": episodes, "skip_planning": skip_planning,
        "paper_data": str(Path(paper_data).resolve()) if paper_data else None,
        "paper_data_revision": dataset_revision(paper_data) if paper_data else None,
    }


def _env_identity(env_id: str, sha: str | None, protocol: dict[str, Any], options: dict[str, Any] | None,
                  revision: str | None) -> dict[str, Any] | None:
    """Everything that decides one env's numbers; a saved env is reused only when it is unchanged.
    None when not known (a result written before cwmb-eval recorded its options)."""
    if options is None or sha is None:
        return None
    planned = None if options["skip_planning"] else (
        options["episodes"] or get_protocol(protocol["name"]).episodes_for(env_id))
    identity = {"sha256": sha, "protocol": protocol, "splits": options["splits"], "episodes": planned,
                "paper_data": options["paper_data"], "paper_data_revision": options["paper_data_revision"],
                "dataset_revision": revision}
    return json.loads(json.dumps(identity))  # as a saved one reads back (tuples become lists)


def _stale_reason(saved: dict[str, Any] | None, current: dict[str, Any]) -> str | None:
    """Why a saved env cannot be reused for `current` (one short clause), or None when it can."""
    if saved is None:
        return "saved by an older cwmb-eval that did not record its settings"
    if saved.get("sha256") != current["sha256"]:
        return "its world model file changed since it was saved"
    if saved.get("protocol") != current["protocol"]:
        name = (saved.get("protocol") or {}).get("name")
        if name != current["protocol"]["name"]:
            return f"it was saved under protocol {name}, this run is {current['protocol']['name']}"
        return f"it was saved under other {name} settings (an older planner or metric revision)"
    for key, option in (("splits", "--split"), ("episodes", "--episodes/--skip-planning"), ("paper_data", "--paper-data")):
        if saved.get(key) != current[key]:
            return f"it was saved with other {option} ({_shown(saved.get(key))}; this run: {_shown(current[key])})"
    if saved.get("dataset_revision") != current["dataset_revision"] or saved.get("paper_data_revision") != current[
            "paper_data_revision"]:
        return "the dataset changed since it was saved"
    return None


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _save_partial(folder: Path, env_id: str, identity: dict[str, Any] | None, entry: dict[str, Any]) -> None:
    write_text_atomically(folder / f"{env_id}.json", json.dumps({"identity": identity, "entry": entry}))


def _load_partials(folder: Path, identities: dict[str, dict[str, Any]]
                   ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """(env -> saved entry still valid, env -> why a saved entry is not): only envs saved in `folder`."""
    reused, stale = {}, {}
    for env_id, identity in identities.items():
        path = folder / f"{env_id}.json"
        if not path.exists():
            continue
        try:
            saved = json.loads(path.read_text())
            reason = _stale_reason(saved.get("identity"), identity)
            entry = saved["entry"]
            if reason is None and _graded_outdated(entry):
                reason = f"it was saved without the graded metrics of revision {GRADED_REVISION}"
        except (ValueError, KeyError, TypeError, AttributeError):  # a damaged file is computed again
            reason, entry = "its saved file is damaged", None
        if reason is None:
            reused[env_id] = entry
        else:
            stale[env_id] = reason
    return reused, stale


def _graded_outdated(entry: dict[str, Any]) -> bool:
    """An ok env saved without this revision's graded metrics on each of its splits (an older cwmb-eval)."""
    graded = entry.get("graded") or {}
    return entry["status"] == "ok" and any((graded.get(split) or {}).get("revision") != GRADED_REVISION
                                           for split in entry["accuracy"])


def save_result_as_partials(result: dict[str, Any], folder: Path) -> None:
    """Save each environment of a complete result file as a partial, so that `--resume` on it reuses
    exactly the environments whose numbers would not change (and recomputes the others)."""
    options, protocol = result.get("options"), result["protocol"]
    files, revisions = result["submission"].get("files") or {}, result["dataset"].get("env_revisions") or {}
    for env_id, entry in result["envs"].items():
        if env_id in files:  # envs without a world model are rebuilt for free
            identity = _env_identity(env_id, files[env_id], protocol, options, revisions.get(env_id))
            _save_partial(folder, env_id, identity, entry)
