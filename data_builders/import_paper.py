"""Import the paper's original CWMB release as a Hub-layout dataset (the `paper-2024` data).

`python -m data_builders.import_paper SOURCE_DIR [OUTPUT_DIR]`

The authors of "Generating Code World Models with Large Language Models Guided by Monte Carlo Tree
Search" (Dainese et al., NeurIPS 2024; Apache-2.0) released one replay buffer per environment,
`data/replay_buffers/gymnasium_envs/<PAPER_ID>/train_buffer.pkl`, also found flattened as
`<PAPER_ID>.train_buffer.pkl`. Each is a pickle (protocol 4) of a plain dict:

- `obs`, `next_obs`: lists with one observation per transition (numpy float32/float64 vectors,
  Python ints for Taxi and CliffWalking, tuples of ints for Blackjack);
- `actions`: a list of numpy int64 scalars (discrete) or float64 vectors (continuous);
- `rewards` (float32), `dones` (bool), `traj_starts` (int32): numpy arrays of length `capacity`,
  valid up to the fill level (`idx`, or `capacity` once `full`); past it they hold uninitialised
  memory. `traj_starts[i]` is the buffer index where the episode of transition `i` begins;
- `extra_info`: the gymnasium `info` dicts plus `valid_actions`, the gymnasium action-space object;
- `capacity`, `idx`, `full`, `device` (a `torch.device`), `file_path`, `file_name`.

Unpickling a file runs whatever callables it names, so the buffers are read with a restricted
unpickler: only the numpy globals that rebuild arrays, dtypes and scalars are resolved
(`ALLOWED_GLOBALS`); `torch.device`, the gymnasium spaces and the numpy random generator inside a
space become inert stand-ins (`StandIn`), so neither torch nor gymnasium is ever imported; any other
global raises `UnsafePickle` before anything is called.

Each buffer becomes the CWMB transition table (`cwmb.dataset.schema.arrow_schema` of the mapped
CWMB environment, e.g. Reacher-v4 -> Reacher-v5), with the paper's observations as they are (so
Reacher-v4 rows hold 11 values where Reacher-v5 observes 10):

- `episode`/`step` come from `traj_starts`;
- `done` was `terminated or truncated`; it is split with the per-env rules of the converted
  reference release (`TRUNCATION_RULES`): every time-limit truncation sits at the env's limit;
- rewards were stored as float32 and are widened exactly to float64; float32 observations too;
- `sim_state` is an empty list: the paper's release holds no simulator state, so these transitions
  cannot put the real environment back exactly (use the CWMB v1 data for that);
- `extra_info` is not imported (it is not part of the CWMB schema).

The paper shipped one split; it is written as `train`:
`<out>/data/<cwmb_env_id>/train-00000-of-00001.parquet`, plus a README.md dataset card whose YAML
`configs:` make it loadable with `datasets.load_dataset(out, "<cwmb_env_id>")`. The output is a
derived artefact: it is never committed to the CWMB repository (default: build_cache/paper-2024).
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import pickle
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np
import pyarrow as pa

from cwmb.dataset.schema import arrow_schema, encode_action, encode_observation
from cwmb.errors import CWMBError, DatasetError, UnsafePickle
from cwmb.registry import ENV_IDS, ENVIRONMENTS, PAPER_IDS, EnvRecord, get_env
from data_builders.build import split_path, write_table_atomically

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = PROJECT_ROOT / "build_cache" / "paper-2024"
BUFFER_NAME = "train_buffer.pkl"
SPLIT = "train"
PROTOCOL = "paper-2024"
REQUIRED_KEYS = ("obs", "next_obs", "actions", "rewards", "dones", "traj_starts", "idx", "full", "capacity")


# --------------------------------------------------------------------------- restricted unpickling


class StandIn:
    """Inert placeholder for a class the importer must not import (torch, gymnasium, numpy RNG).

    It only records what the pickle passed to it: constructor arguments and the `BUILD` state.
    """

    original: str = ""
    """`module.name` of the class this replaces."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        self.state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __repr__(self) -> str:
        return f"StandIn({self.original}, args={self.args!r}, state={self.state!r})"


def _stand_in(original: str) -> type[StandIn]:
    return type(f"StandIn[{original}]", (StandIn,), {"original": original, "__module__": __name__})


def _numpy_global(modules: tuple[str, ...], name: str) -> Any:
    """`name` from the first importable numpy module (numpy 2 moved `numpy.core` to `numpy._core`)."""
    for module in modules:
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    raise ImportError(f"none of {modules} provides {name}")


def _allowed_globals() -> dict[tuple[str, str], Any]:
    multiarray = ("numpy._core.multiarray", "numpy.core.multiarray")
    numeric = ("numpy._core.numeric", "numpy.core.numeric")
    numpy_functions = {
        "_reconstruct": multiarray,  # ndarray pickles, protocols 2-4
        "scalar": multiarray,  # numpy scalars (np.int64, np.float32, ...)
        "_frombuffer": numeric,  # ndarray pickles, protocol 5
    }
    allowed: dict[tuple[str, str], Any] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for name, modules in numpy_functions.items():
        target = _numpy_global(modules, name)
        for module in modules:  # written by numpy 1.x (numpy.core) or 2.x (numpy._core)
            allowed[module, name] = target
    for original in (
        "torch.device",
        "gymnasium.spaces.discrete.Discrete",
        "gymnasium.spaces.box.Box",
        "gymnasium.spaces.tuple.Tuple",
        "numpy.random._pickle.__generator_ctor",  # the RNG inside a gymnasium space: not needed
        "numpy.random._pickle.__bit_generator_ctor",
    ):
        module, name = original.rsplit(".", 1)
        allowed[module, name] = _stand_in(original)
    return allowed


ALLOWED_GLOBALS: dict[tuple[str, str], Any] = _allowed_globals()
"""(module, name) -> the object the restricted unpickler returns for it; nothing else resolves."""


class RestrictedUnpickler(pickle.Unpickler):
    """A pickle reader that resolves only `ALLOWED_GLOBALS` and raises `UnsafePickle` otherwise."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED_GLOBALS[module, name]
        except KeyError:
            raise UnsafePickle(
                f"the pickle asks for {module}.{name}, which is not on the importer's allow-list; "
                "refused before calling it, nothing was executed"
            ) from None


def restricted_loads(data: bytes) -> Any:
    """Unpickle `data` with `RestrictedUnpickler` (raises `UnsafePickle` or pickle's own errors)."""
    return RestrictedUnpickler(io.BytesIO(data)).load()


def load_buffer(pkl_path: Path) -> dict[str, Any]:
    """Read one of the authors' `train_buffer.pkl` files safely and check it is a buffer dict."""
    pkl_path = Path(pkl_path)
    if not pkl_path.is_file():
        raise DatasetError(f"{pkl_path}: no such file")
    try:
        buffer = restricted_loads(pkl_path.read_bytes())
    except UnsafePickle as error:
        raise UnsafePickle(f"{pkl_path}: {error}") from None
    except Exception as error:  # every way a non-pickle or a truncated pickle fails to load
        raise DatasetError(f"{pkl_path} is not a readable pickle ({type(error).__name__}: {error})") from None
    if not isinstance(buffer, dict) or any(key not in buffer for key in REQUIRED_KEYS):
        expected = ", ".join(REQUIRED_KEYS)
        raise DatasetError(f"{pkl_path} is a pickle but not a replay buffer (expected a dict with {expected})")
    return buffer


# --------------------------------------------------------------------------- buffer -> table


def _truncate_every_done(dones: np.ndarray, rewards: np.ndarray, next_obs: list) -> np.ndarray:
    return dones.copy()


TRUNCATION_RULES: dict[str, tuple[str, Callable[[np.ndarray, np.ndarray, list], np.ndarray]]] = {
    "Acrobot-v1": ("done and reward == -1 (the goal was not reached)", lambda d, r, o: d & (r == -1)),
    "MountainCar-v0": ("done and next_obs[0] < 0.5 (the flag was not reached)",
                       lambda d, r, o: d & (np.array([x[0] for x in o]) < 0.5)),
    "Taxi-v3": ("done and reward != 20 (no drop-off)", lambda d, r, o: d & (r != 20)),
    "Reacher-v4": ("done (the env never terminates)", _truncate_every_done),
    "Pusher-v4": ("done (the env never terminates)", _truncate_every_done),
}
"""Paper id -> (rule text, function(dones, rewards, next_obs) -> truncated). Other envs: done = terminated."""


def split_done(
    paper_id: str, dones: np.ndarray, rewards: np.ndarray, next_obs: list
) -> tuple[np.ndarray, np.ndarray]:
    """The stored `done` as (terminated, truncated), with the env's rule from `TRUNCATION_RULES`."""
    truncated = np.zeros_like(dones)
    if paper_id in TRUNCATION_RULES:
        truncated = TRUNCATION_RULES[paper_id][1](dones, rewards, next_obs)
    return dones & ~truncated, truncated


def episodes_from_starts(traj_starts: np.ndarray, source: Path) -> tuple[np.ndarray, np.ndarray]:
    """(episode, step) per row from `traj_starts` (each row's episode-start index).

    Each row must either start an episode (its start is itself) or continue the previous row's
    episode; anything else (e.g. a buffer that wrapped around) is refused.
    """
    starts = traj_starts.astype(np.int64)
    rows = np.arange(len(starts))
    continues = np.concatenate([[False], starts[1:] == starts[:-1]])
    begins = starts == rows
    if len(starts) and not np.all(begins | continues):
        bad = int(np.flatnonzero(~(begins | continues))[0])
        raise DatasetError(
            f"{source}: traj_starts[{bad}] = {starts[bad]} neither starts an episode nor continues the previous one"
        )
    episode = np.cumsum(begins) - 1
    return episode.astype(np.int32), (rows - starts).astype(np.int32)


def paper_id_of(pkl_path: Path) -> str:
    """The paper's env id from the file name: `<ID>.train_buffer.pkl` or `<ID>/train_buffer.pkl`."""
    pkl_path = Path(pkl_path)
    suffix = "." + BUFFER_NAME
    if pkl_path.name.endswith(suffix):
        return pkl_path.name[: -len(suffix)]
    return pkl_path.parent.name


def record_of(paper_id: str, pkl_path: Path) -> EnvRecord:
    """The CWMB record of a paper id (e.g. Taxi-v3 -> Taxi-v4); refuses any other name.

    Only the paper's ids are accepted: the truncation rules belong to the paper's data.
    """
    if paper_id not in PAPER_IDS:
        raise DatasetError(
            f"{pkl_path}: {paper_id!r} is not one of the paper's environment ids ({', '.join(PAPER_IDS)})"
        )
    return get_env(paper_id)


def fill_level(buffer: dict[str, Any], source: Path) -> int:
    """How many transitions the buffer holds; refuses a ring buffer that overwrote its oldest rows."""
    capacity, idx = int(buffer["capacity"]), int(buffer["idx"])
    if not buffer["full"]:
        return idx
    if idx not in (0, capacity):
        raise DatasetError(
            f"{source}: the buffer wrapped around (full, next write at {idx} of {capacity}); its episode order is lost"
        )
    return capacity


def buffer_columns(buffer: dict[str, Any], record: EnvRecord, paper_id: str, source: Path) -> dict[str, Any]:
    """The CWMB columns of a loaded buffer, in buffer order (cells as `arrow_schema` expects)."""
    n = fill_level(buffer, source)
    lists = {key: buffer[key] for key in ("obs", "next_obs", "actions")}
    arrays = {key: np.asarray(buffer[key]) for key in ("rewards", "dones", "traj_starts")}
    short = [k for k, v in {**lists, **arrays}.items() if len(v) < n]
    if short:
        raise DatasetError(f"{source}: {', '.join(short)} hold fewer than the {n} transitions the buffer reports")
    rewards = arrays["rewards"][:n].astype(np.float64)  # float32 -> float64 is exact
    dones = arrays["dones"][:n].astype(bool)
    obs, next_obs, actions = (lists[k][:n] for k in ("obs", "next_obs", "actions"))
    episode, step = episodes_from_starts(arrays["traj_starts"][:n], source)
    terminated, truncated = split_done(paper_id, dones, rewards, next_obs)
    return {
        "episode": episode,
        "step": step,
        "obs": [encode_observation(record, o) for o in obs],
        "action": [encode_action(record, a) for a in actions],
        "reward": rewards,
        "next_obs": [encode_observation(record, o) for o in next_obs],
        "terminated": terminated,
        "truncated": truncated,
        "sim_state": [[] for _ in range(n)],  # the release holds no simulator state
    }


def buffer_to_table(buffer: dict[str, Any], record: EnvRecord, paper_id: str, source: Path) -> pa.Table:
    """The buffer as a table with `arrow_schema(record)`, tagged with its source and paper id."""
    schema = arrow_schema(record)
    schema = schema.with_metadata({**schema.metadata, b"source": PROTOCOL.encode(), b"paper_env_id": paper_id.encode()})
    try:
        columns = buffer_columns(buffer, record, paper_id, source)
        arrays = [pa.array(columns[name], type=schema.field(name).type) for name in schema.names]
    except (pa.ArrowException, TypeError, ValueError, IndexError) as error:
        raise DatasetError(f"{source}: values do not fit the {record.env_id} schema ({error})") from None
    return pa.Table.from_arrays(arrays, schema=schema)


class ImportedBuffer(NamedTuple):
    env_id: str
    """CWMB id of the environment (e.g. Taxi-v4 for the paper's Taxi-v3)."""
    table: pa.Table
    """The transitions in the CWMB schema."""


def import_buffer(pkl_path: Path | str) -> ImportedBuffer:
    """Read one `train_buffer.pkl` safely; returns its CWMB env id and transition table."""
    pkl_path = Path(pkl_path)
    paper_id = paper_id_of(pkl_path)
    record = record_of(paper_id, pkl_path)
    return ImportedBuffer(record.env_id, buffer_to_table(load_buffer(pkl_path), record, paper_id, pkl_path))


# --------------------------------------------------------------------------- release -> dataset


def find_buffers(source_dir: Path) -> dict[str, Path]:
    """CWMB env id -> buffer file, for `<ID>.train_buffer.pkl` and `<ID>/train_buffer.pkl` files."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise DatasetError(f"source folder {source_dir} does not exist (expected the authors' {BUFFER_NAME} files)")
    found: dict[str, Path] = {}
    for path in sorted([*source_dir.glob("*." + BUFFER_NAME), *source_dir.glob("*/" + BUFFER_NAME)]):
        env_id = record_of(paper_id_of(path), path).env_id
        if env_id in found:
            raise DatasetError(f"two buffers for {env_id}: {found[env_id]} and {path}; keep one")
        found[env_id] = path
    if not found:
        raise DatasetError(f"no *.{BUFFER_NAME} or */{BUFFER_NAME} files in {source_dir}")
    return found


def dataset_card(tables: dict[str, pa.Table]) -> str:
    """README.md in Hub format: YAML `configs:` for each imported env, then what the data is."""
    configs = "".join(
        f"- config_name: {env_id}\n  data_files:\n  - split: {SPLIT}\n    path: data/{env_id}/{SPLIT}-*.parquet\n"
        for env_id in tables
    )
    rows = "".join(
        f"| {env_id} | {get_env(env_id).paper_id} | {t.num_rows} | {len(set(t['episode'].to_pylist()))} "
        f"| {sum(t['terminated'].to_pylist())} | {sum(t['truncated'].to_pylist())} |\n"
        for env_id, t in tables.items()
    )
    missing = [r.paper_id for r in ENVIRONMENTS.values() if r.env_id not in tables]
    missing_note = f"; not in this import: {', '.join(missing)}" if missing else ""
    rules = "".join(f"  - {paper_id}: truncated = {text}\n" for paper_id, (text, _) in TRUNCATION_RULES.items())
    return f"""---
license: apache-2.0
pretty_name: CWMB paper-2024 (the authors' original release)
tags:
- code-world-models
- reinforcement-learning
configs:
{configs}---

# CWMB `paper-2024` data

The transitions of the original Code World Models Benchmark release by the paper's authors
(Dainese et al., "Generating Code World Models with Large Language Models Guided by Monte Carlo
Tree Search", NeurIPS 2024; Apache-2.0), imported from their `train_buffer.pkl` files by
`python -m data_builders.import_paper`. This folder is generated, never committed to the CWMB
repository: rebuild it from the authors' release.

Configs are named by the CWMB id; the data is the paper's environment (Gymnasium 0.29.1 ids,
MuJoCo v4, MuJoCo 2.3), with its observations unchanged (e.g. Reacher-v4 observes 11 values).
The paper released one split only, published here as `{SPLIT}`.

| config | paper env | transitions | episodes | terminated | truncated |
|---|---|---|---|---|---|
{rows}
Columns follow the CWMB schema (episode, step, obs, action, reward, next_obs, terminated,
truncated, sim_state), with these differences from CWMB v1 data:

- `sim_state` is always empty: the original release holds no simulator state.
- Rewards were stored as float32 (widened exactly to float64 here).
- The authors stored `done = terminated or truncated`; it was split with these rules (every
  inferred truncation sits at the env's time limit); in the other envs done = terminated:
{rules}- Episodes the authors' collector stopped without a done (its 100-step cap) end with
  neither flag set.
- Known artefacts of the release: step 0 of every MuJoCo episode was produced
  from a default-pose simulator, not from `obs`{missing_note}.
"""


def _write_text_atomically(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def import_release(source_dir: Path | str, output_dir: Path | str) -> list[str]:
    """Import every buffer in `source_dir` into `output_dir` (Hub layout); returns the CWMB env ids.

    All buffers are read and checked before anything is written, so a bad file leaves no output.
    """
    buffers = find_buffers(Path(source_dir))
    tables = {env_id: import_buffer(buffers[env_id]).table for env_id in ENV_IDS if env_id in buffers}
    output_dir = Path(output_dir)
    for env_id, table in tables.items():
        write_table_atomically(table, split_path(output_dir, env_id, SPLIT))
    _write_text_atomically(dataset_card(tables), output_dir / "README.md")
    return list(tables)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", type=Path, help=f"folder of <PAPER_ID>.{BUFFER_NAME} or <PAPER_ID>/{BUFFER_NAME}")
    parser.add_argument(
        "output_dir", type=Path, nargs="?", default=DEFAULT_OUTPUT,
        help=f"dataset folder to write (default: {DEFAULT_OUTPUT.relative_to(PROJECT_ROOT)})",
    )
    args = parser.parse_args(argv)
    try:
        env_ids = import_release(args.source_dir, args.output_dir)
    except CWMBError as error:
        parser.exit(2, f"error: {error}\n")
    print(f"imported {len(env_ids)} environments into {args.output_dir}: {', '.join(env_ids)}")


if __name__ == "__main__":
    main()
