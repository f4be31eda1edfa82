"""Reading the CWMB dataset: the packaged copy, any local Hub-layout folder, or a Hub repo.

The `cwmb` package folder is itself a dataset in the Hugging Face Hub layout (`README.md` with YAML
`configs:` + `data/<config>/<split>-00000-of-00001.parquet`), so the same files serve
`datasets.load_dataset("cwmb", env)` from a clone's root, `cwmb.load(env)` after `pip install`, and
a Hub upload.

- `load(env_id)` returns a `datasets.DatasetDict` (both splits), as `datasets.load_dataset` does.
- `read_split(env_id, split)` returns the checked `pyarrow.Table` the harness works on.
- `Transitions` decodes a split into the native types a code world model receives.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cwmb.dataset.schema import COLUMNS, decode_action, decode_observation
from cwmb.errors import DatasetError
from cwmb.registry import EnvRecord, get_env

#: The packaged copy of the dataset (the package folder, in Hub layout).
PACKAGED_DATASET = Path(__file__).resolve().parent.parent
SPLITS = ("train", "test")
DESCRIPTIONS_CONFIG = "descriptions"


def split_file(env_id: str, split: str, source: str | Path | None = None) -> Path:
    """Path of one split's Parquet file in a local Hub-layout folder (default: the packaged copy)."""
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    folder = Path(source) if source is not None else PACKAGED_DATASET
    return folder / "data" / env_id / f"{split}-00000-of-00001.parquet"


def is_built(env_id: str, source: str | Path | None = None) -> bool:
    """Whether both splits of an environment exist (a split assembled alone is half a build)."""
    return all(split_file(env_id, split, source).exists() for split in SPLITS)


def read_split(env_id: str, split: str, source: str | Path | None = None) -> pa.Table:
    """One split of one environment as a pyarrow Table with the CWMB columns.

    Raises:
        UnknownEnvironment: `env_id` is not a CWMB id (the message lists them).
        DatasetError: the file is missing, not Parquet, or lacks CWMB columns (the message names it).
    """
    record = get_env(env_id)
    path = split_file(record.env_id, split, source)
    if not path.is_file():
        raise DatasetError(
            f"missing dataset file {path}: rebuild it with `python -m data_builders.build --env {record.env_id}` "
            "or reinstall cwmb"
        )
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise DatasetError(f"corrupt Parquet file {path} ({error}); rebuild or reinstall it") from None
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise DatasetError(f"{path} lacks CWMB columns {missing}; it was not written by the CWMB builder")
    return table


def load(env_id: str, *, repo_id: str | None = None, revision: str | None = None, source: str | Path | None = None):
    """Both splits of `env_id` (or the `descriptions` config) as a `datasets.DatasetDict`.

    Offline by default (the packaged copy). With `repo_id` the data comes from that Hub dataset repo
    (cached by `datasets`); with `source` from a local Hub-layout folder.
    """
    import datasets

    config = env_id if env_id == DESCRIPTIONS_CONFIG else get_env(env_id).env_id
    if repo_id is not None:
        return datasets.load_dataset(repo_id, config, revision=revision)
    folder = Path(source) if source is not None else PACKAGED_DATASET
    if config != DESCRIPTIONS_CONFIG:
        for split in SPLITS:
            read_split(config, split, folder)  # a clear error before `datasets` gives a long one
    return datasets.load_dataset(str(folder), config)


def dataset_revision(source: str | Path | None = None, env_ids: list[str] | None = None) -> str:
    """SHA-256 over the transition files of a Hub-layout folder (paths and bytes, in sorted order).

    Results record it, so a result is never compared with numbers computed on other data. The
    `descriptions` config is left out: its reference returns are not data a result was scored on.
    With `env_ids`, only those environments' files: a result records one revision per environment,
    so adding another environment's data does not make it stale.
    """
    import hashlib

    folder = Path(source) if source is not None else PACKAGED_DATASET
    digest = hashlib.sha256()
    for path in sorted((folder / "data").glob("*/*.parquet")):
        if path.parent.name == DESCRIPTIONS_CONFIG or (env_ids is not None and path.parent.name not in env_ids):
            continue
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Transitions:
    """One split decoded into native types (what `Environment.set_state/step` receive and return)."""

    record: EnvRecord
    episode: np.ndarray
    step: np.ndarray
    obs: list[Any]
    action: list[Any]
    reward: np.ndarray
    next_obs: list[Any]
    terminated: np.ndarray
    truncated: np.ndarray
    sim_state: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.reward)

    @functools.cached_property
    def next_obs_matrix(self) -> np.ndarray:
        """Vector next observations stacked, one row per transition (for array-at-once scoring)."""
        return np.array([np.asarray(x).reshape(-1) for x in self.next_obs])

    def __repr__(self) -> str:
        return f"Transitions({self.record.env_id}, {len(self)} transitions, {len(np.unique(self.episode))} episodes)"

    @classmethod
    def from_table(cls, env_id: str, table: pa.Table) -> Transitions:
        record = get_env(env_id)
        columns = table.to_pydict()
        return cls(
            record=record,
            episode=np.asarray(columns["episode"]),
            step=np.asarray(columns["step"]),
            obs=[decode_observation(record, x) for x in columns["obs"]],
            action=[decode_action(record, x) for x in columns["action"]],
            reward=np.asarray(columns["reward"], dtype=np.float64),
            next_obs=[decode_observation(record, x) for x in columns["next_obs"]],
            terminated=np.asarray(columns["terminated"], dtype=bool),
            truncated=np.asarray(columns["truncated"], dtype=bool),
            sim_state=[np.asarray(x, dtype=np.float64) for x in columns["sim_state"]],
        )


def load_transitions(env_id: str, split: str, source: str | Path | None = None) -> Transitions:
    """One split of one environment, decoded (see `Transitions`)."""
    return Transitions.from_table(env_id, read_split(env_id, split, source))
