"""The results store: `leaderboard/results/*.json`, one validated result file per (submission, protocol) run.

A file enters the store only through `add`, which checks, on top of `cwmb.results.validate_result`
(schema version, kind, statuses, no NaN):

- the protocol is one of `cwmb.protocols.PROTOCOLS`; an evaluated result must carry exactly that
  protocol's frozen settings (a reported one ran the paper's own code: its name is checked);
- an evaluated result was computed on the shipped data (its `dataset.revision` is
  `cwmb.dataset.load.dataset_revision()`); a reported one names its source (paper, table);
- every environment of the benchmark is present, under its CWMB id, either `ok` or explicitly
  `failed` with a category; an ok env of an evaluated run has accuracy on the protocol's scored
  split and a planning result over the protocol's number of episodes (no `--split`,
  `--skip-planning` or `--episodes` shortcuts on the leaderboard);
- the numbers the leaderboard reads have the right types (accuracies in [0, 1]);
- the world models of an evaluated run ran at least at the leaderboard's minimum sandbox isolation
  (`result["isolation"]["level"]`, `MINIMUM_ISOLATION`); a result that records no level is refused.
  Exempt: reported rows and the random-policy / oracle-planner references, which run no submitted code;
- no run with the same identity (`run_key`) is already stored.

A rejection raises `Rejected` with a one-line reason and leaves the store untouched. A stored file
appears under its final name in one step (written to a temporary name, then hard-linked), so a
crash or kill never leaves a partial result behind, and two concurrent adds of the same run
cannot both succeed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cwmb.errors import CWMBError
from cwmb.protocols import PROTOCOLS
from cwmb.registry import ENV_IDS, PAPER_IDS
from cwmb.results import InvalidResult, validate_result
from cwmb.sandbox.client import ISOLATION_LEVELS

#: The committed store and the rendered leaderboard live beside this module.
LEADERBOARD_DIR = Path(__file__).resolve().parent
RESULTS_DIR = LEADERBOARD_DIR / "results"


#: The leaderboard's minimum of the sandbox isolation levels (`cwmb.sandbox.client.ISOLATION_LEVELS`,
#: recorded by `cwmb-eval` in `result["isolation"]["level"]`): untrusted code that ran with less
#: isolation cannot vouch for its numbers.
MINIMUM_ISOLATION = "bubblewrap"

#: `submission.method` of the random-policy and oracle-planner references: no submitted code, never ranked.
REFERENCE_METHODS = frozenset({"random", "oracle"})


class Rejected(CWMBError):
    """A result file the store refuses; the message says why, on one line."""


@dataclass(frozen=True)
class StoredResult:
    """One result of the store, with the file it came from."""

    path: Path
    result: dict[str, Any]

    @property
    def run_id(self) -> str:
        return self.path.stem


def run_key(result: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two result files the same run: kind, protocol, submission name and seed, source table."""
    source = result.get("source") or {}
    submission = result["submission"]
    return (result["kind"], result["protocol"]["name"], submission["name"], submission.get("seed"),
            source.get("table"))


def file_name(result: dict[str, Any]) -> str:
    """Readable, stable file name of a run: `<protocol>__<submission>[__seed-N].json`, reported rows
    prefixed by their table."""
    kind, protocol, name, seed, table = run_key(result)
    parts = [protocol]
    if kind == "reported":
        parts.append(_slug(f"reported {table}"))
    parts.append(_slug(name))
    if seed is not None:
        parts.append(_slug(f"seed {seed}"))
    return "__".join(parts) + ".json"


def _slug(text: Any) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", str(text).lower()).strip("-.") or "unnamed"


def parse_result(text: str, where: str) -> dict[str, Any]:
    """JSON text -> validated result (schema only); `Rejected` with one line otherwise."""
    try:
        result = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise Rejected(f"{where} is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
                       "was the file truncated?") from None
    except ValueError as error:  # NaN / Infinity literals
        raise Rejected(f"{where}: {error}") from None
    try:
        validate_result(result)
    except InvalidResult as error:
        raise Rejected(f"{where}: {error}") from None
    except (AttributeError, TypeError) as error:  # e.g. an env entry that is not an object
        raise Rejected(f"{where}: malformed result ({error})") from None
    return result


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number; write null for a missing value")


def check_result(result: dict[str, Any], where: str, *, dataset_revision: str,
                 env_revision: Callable[[str], str] | None = None) -> None:
    """The store's checks beyond the schema (see the module docstring); `Rejected` names the first failure."""
    protocol = result["protocol"]
    name = protocol.get("name") if isinstance(protocol, dict) else None
    if name not in PROTOCOLS:
        raise Rejected(f"{where}: unknown protocol {name!r}; the leaderboard accepts {', '.join(PROTOCOLS)}")
    expected = PROTOCOLS[name].to_dict()
    if result["kind"] == "evaluated" and protocol != expected:  # a reported row ran the paper's own code
        differing = sorted(k for k in set(expected) | set(protocol) if protocol.get(k) != expected.get(k))
        raise Rejected(f"{where}: protocol {name!r} settings differ from the published ones ({', '.join(differing)}); "
                       "protocols are frozen, evaluate with an unmodified cwmb-eval")
    submission = result["submission"]
    if not isinstance(submission, dict) or not isinstance(submission.get("name"), str) or not submission["name"]:
        raise Rejected(f"{where}: submission.name must be a non-empty string")
    seed = submission.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, str))):
        raise Rejected(f"{where}: submission.seed must be an integer, a string or null, not {seed!r}")
    if result["kind"] == "reported":
        source = result.get("source")
        if not isinstance(source, dict) or not source.get("paper") or not source.get("table"):
            raise Rejected(f"{where}: a reported result must name its source as {{\"paper\": ..., \"table\": ...}}")
    else:
        dataset = result["dataset"] if isinstance(result["dataset"], dict) else {}
        env_revisions = dataset.get("env_revisions")
        if isinstance(env_revisions, dict) and env_revision is not None:
            # Per-environment revisions: only the data each environment's numbers used must match.
            for env_id, revision in env_revisions.items():
                if revision != env_revision(env_id):
                    raise Rejected(f"{where}: {env_id} was computed on other data (revision {str(revision)[:12]}...); "
                                   "re-run cwmb-eval on this version of the dataset")
        elif dataset.get("revision") != dataset_revision:
            revision = dataset.get("revision")
            raise Rejected(f"{where}: computed on other data (dataset revision {str(revision)[:12]}..., shipped data "
                           f"{dataset_revision[:12]}...); re-run cwmb-eval on this version of the dataset")
    _check_envs(result["envs"], where)
    if result["kind"] == "evaluated":
        _check_complete(result["envs"], PROTOCOLS[name], where)
        _check_references(result["envs"], name, where)
        if not is_reference_policy(result):
            _check_isolation(result, where)


def is_reference_policy(result: dict[str, Any]) -> bool:
    """The random-policy or oracle-planner reference row (`cwmb.references`): computed from the real
    simulator, with no submitted code (no program hash)."""
    submission = result["submission"]
    return str(submission.get("method") or "").lower() in REFERENCE_METHODS and submission.get("sha256") is None


def isolation_level(result: dict[str, Any]) -> str | None:
    """The sandbox isolation level the run recorded, or None (not recorded: results before it was)."""
    isolation = result.get("isolation")
    level = isolation.get("level") if isinstance(isolation, dict) else None
    return level if isinstance(level, str) else None


def _check_isolation(result: dict[str, Any], where: str) -> None:
    level = isolation_level(result)
    fix = "re-run cwmb-eval where bubblewrap is installed (`apt-get install bubblewrap`)"
    if level is None:
        raise Rejected(f"{where}: records no sandbox isolation level (isolation.level); the leaderboard needs "
                       f"{MINIMUM_ISOLATION!r} or stronger: {fix}")
    if level not in ISOLATION_LEVELS:
        raise Rejected(f"{where}: unknown sandbox isolation level {level!r}; known levels, weakest first: "
                       f"{', '.join(ISOLATION_LEVELS)}")
    if ISOLATION_LEVELS.index(level) < ISOLATION_LEVELS.index(MINIMUM_ISOLATION):
        raise Rejected(f"{where}: world models ran with sandbox isolation {level!r}, below the leaderboard's minimum "
                       f"{MINIMUM_ISOLATION!r}; {fix}")


def _check_references(envs: dict[str, Any], protocol: str, where: str) -> None:
    """Normalised returns use the shipped reference returns, so every row is normalised alike."""
    from cwmb.references import MissingReference, reference_returns

    for env_id, entry in envs.items():
        planning = entry.get("planning") if isinstance(entry, dict) else None
        if not isinstance(planning, dict):
            continue
        try:
            shipped = reference_returns(protocol, env_id)
        except MissingReference:
            shipped = (None, None)
        if (planning.get("random_return"), planning.get("oracle_return")) != shipped:
            raise Rejected(f"{where}: envs.{env_id} was normalised with other reference returns than the shipped ones; "
                           "run `cwmb-eval --renormalise RESULT.json` (or `cwmb-leaderboard renormalise`) first")


def _check_complete(envs: dict[str, Any], protocol, where: str) -> None:
    """An evaluated run is scored on the protocol's split and planned for the protocol's episode count."""
    for env_id, entry in envs.items():
        if entry["status"] != "ok":
            continue
        at = f"{where}: envs.{env_id}"
        if protocol.scored_split not in (entry.get("accuracy") or {}):
            raise Rejected(f"{at} has no accuracy on the {protocol.scored_split} split that {protocol.name} scores; "
                           "run cwmb-eval without --split")
        planning = entry.get("planning")
        if planning is None:
            raise Rejected(f"{at} has no planning result; run cwmb-eval without --skip-planning")
        returns = planning.get("episode_returns")
        if isinstance(returns, list) and len(returns) != protocol.episodes_for(env_id):
            raise Rejected(f"{at} planned {len(returns)} episodes, {protocol.name} plays {protocol.episodes_for(env_id)}; "
                           "run cwmb-eval without --episodes")


def _check_envs(envs: dict[str, Any], where: str) -> None:
    unknown = [e for e in envs if e not in ENV_IDS]
    if unknown:
        env_id = unknown[0]
        hint = f" (the paper's id for {PAPER_IDS[env_id]})" if env_id in PAPER_IDS else ""
        raise Rejected(f"{where}: unknown environment {env_id!r}{hint}; results use the CWMB ids: {', '.join(ENV_IDS)}")
    missing = [e for e in ENV_IDS if e not in envs]
    if missing:
        raise Rejected(f"{where}: environments missing: {', '.join(missing)}; every env of the protocol must be "
                       "present, a failed one with status 'failed'")
    for env_id, entry in envs.items():
        at = f"{where}: envs.{env_id}"
        if entry["status"] == "failed":
            failure = entry.get("failure")
            if not isinstance(failure, dict) or not isinstance(failure.get("category"), str):
                raise Rejected(f"{at} is failed but has no failure category")
        accuracy = entry.get("accuracy") or {}
        if not isinstance(accuracy, dict):
            raise Rejected(f"{at}.accuracy must be an object keyed by split")
        for split, numbers in accuracy.items():
            value = numbers.get("accuracy") if isinstance(numbers, dict) else "?"
            if value is not None and not (_is_number(value) and 0 <= value <= 1):
                raise Rejected(f"{at}.accuracy.{split}.accuracy must be a number in [0, 1] or null, not {value!r}")
        planning = entry.get("planning")
        if planning is not None:
            if not isinstance(planning, dict):
                raise Rejected(f"{at}.planning must be an object or null")
            for key in ("normalised_return", "mean_return", "random_return", "oracle_return"):
                value = planning.get(key)
                if value is not None and not _is_number(value):
                    raise Rejected(f"{at}.planning.{key} must be a number or null, not {value!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Store:
    """A folder of result files (by default the committed `leaderboard/results/`)."""

    def __init__(self, folder: str | Path = RESULTS_DIR, *, dataset_revision: str | Callable[[], str] | None = None,
                 data_folder: str | Path | None = None):
        """`dataset_revision`: the revision evaluated results must carry (default: the shipped data's).

        Results that record per-environment revisions are checked env by env against `data_folder`
        (default: the shipped data) unless a fixed `dataset_revision` string is given.
        """
        self.folder = Path(folder)
        self._revision = dataset_revision
        self._fixed_revision = isinstance(dataset_revision, str)
        self._data_folder = data_folder
        self._env_revisions: dict[str, str] = {}

    def env_revision(self, env_id: str) -> str:
        if env_id not in self._env_revisions:
            from cwmb.dataset.load import dataset_revision

            self._env_revisions[env_id] = dataset_revision(self._data_folder, env_ids=[env_id])
        return self._env_revisions[env_id]

    @property
    def _env_revision_check(self) -> Callable[[str], str] | None:
        # A store pinned to a fixed revision string (tests, --data) checks the whole-data revision only.
        return None if self._fixed_revision else self.env_revision

    @property
    def dataset_revision(self) -> str:
        if self._revision is None:
            from cwmb.dataset.load import dataset_revision

            self._revision = dataset_revision()
        elif callable(self._revision):
            self._revision = self._revision()
        return self._revision

    def paths(self) -> list[Path]:
        """Stored result files, sorted (temporary files of interrupted writes are not results)."""
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.glob("*.json") if not p.name.startswith("."))

    def load(self) -> list[StoredResult]:
        """Every stored result, each re-checked; `Rejected` names the first bad file."""
        stored, seen = [], {}
        for path in self.paths():
            result = self.read(path)
            key = run_key(result)
            if key in seen:
                raise Rejected(f"{path.name}: duplicate of the run in {seen[key]}; remove one of them")
            seen[key] = path.name
            stored.append(StoredResult(path, result))
        return stored

    def read(self, path: Path) -> dict[str, Any]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise Rejected(f"cannot read {path}: {error}") from None
        result = parse_result(text, path.name)
        check_result(result, path.name, dataset_revision=self.dataset_revision, env_revision=self._env_revision_check)
        return result

    def add(self, path: str | Path) -> Path:
        """Check the file at `path` and copy it into the store byte for byte; returns the stored path.

        Raises:
            Rejected: with the reason, on one line; the store is unchanged.
        """
        path = Path(path)
        try:
            data = path.read_bytes()
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise Rejected(f"cannot read {path}: {error}") from None
        return self._store(parse_result(text, path.name), data, path.name)

    def add_result(self, result: dict[str, Any], *, where: str = "result", replace: bool = False) -> Path:
        """Check a result given as a dict and store it (serialised with one-space indents).

        `replace=True` atomically replaces a stored file of the same run (used to regenerate the
        paper's reported rows); otherwise a duplicate is `Rejected`.
        """
        text = json.dumps(result, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
        return self._store(parse_result(text, where), text.encode("utf-8"), where, replace=replace)

    def _store(self, result: dict[str, Any], data: bytes, where: str, *, replace: bool = False) -> Path:
        check_result(result, where, dataset_revision=self.dataset_revision, env_revision=self._env_revision_check)
        key = run_key(result)
        target = self.folder / file_name(result)
        if replace and target.exists() and _stored_key(target) == key:
            replace_atomically(target, data)
            return target
        for existing in self.paths():
            if _stored_key(existing) == key:
                raise Rejected(f"{where}: duplicate of the run already stored as {existing.name} "
                               f"({_describe(key)}); delete that file first to replace it")
        self.folder.mkdir(parents=True, exist_ok=True)
        _create_exclusive(target, data, where)
        return target


def _stored_key(path: Path) -> tuple[Any, ...] | None:
    """The run key of a stored file; None for a broken one (that is `Store.load`'s to report)."""
    try:
        return run_key(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _describe(key: tuple[Any, ...]) -> str:
    kind, protocol, name, seed, table = key
    text = f"{kind} {name!r} under {protocol}"
    if seed is not None:
        text += f", seed {seed}"
    return text + (f", {table}" if table else "")


@contextmanager
def _written_beside(target: Path, data: bytes) -> Iterator[Path]:
    """`data` in a temporary file beside `target`, on disk; the caller links or renames it into place.
    The temporary file is removed afterwards, whatever happens."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _create_exclusive(target: Path, data: bytes, where: str) -> None:
    """Write `data` to a temporary file, then hard-link it to `target`: the file appears whole or not at
    all, and an existing file is never overwritten."""
    with _written_beside(target, data) as tmp:
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise Rejected(f"{where}: {target.name} already exists in the store and holds another run; "
                           "rename the submission") from None


def replace_atomically(target: Path, data: bytes) -> None:
    """Write `data` to `target` through a temporary file and `os.replace`: readers see old or new, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with _written_beside(target, data) as tmp:
        os.replace(tmp, target)
