"""Build the CWMB v1 dataset: `python -m data_builders.build [--env ID ...] [--jobs N]`.

Each (env, split, episode) is collected on its own and written atomically to a checkpoint folder,
so a stopped build resumes where it stopped. When an env's 10 episodes of a split exist, they are
assembled into `<out>/data/<env>/<split>-00000-of-00001.parquet` (atomically). Same code, same
pinned simulator: byte-identical files. Build times go to `data_builders/build_times.json`.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from cwmb._atomic import update_json_atomically
from cwmb.backends import run_units
from cwmb.dataset.load import split_file
from cwmb.dataset.schema import arrow_schema
from cwmb.registry import ENV_IDS, get_env
from data_builders.collect import EPISODES_PER_SPLIT, SPLITS, collect_episode

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = PROJECT_ROOT / "cwmb"
DEFAULT_CHECKPOINTS = PROJECT_ROOT / "build_cache"
BUILD_TIMES = Path(__file__).resolve().parent / "build_times.json"


def split_path(output: Path, env_id: str, split: str) -> Path:
    return split_file(env_id, split, output)


def write_table_atomically(table: pa.Table, path: Path) -> None:
    """Write a Parquet file via a temporary file + rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd", write_statistics=False)
    os.replace(tmp, path)


def rows_to_table(env_id: str, rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=arrow_schema(get_env(env_id)))


def build_episode(env_id: str, split: str, episode: int, checkpoints: Path) -> tuple[str, str, int, float]:
    """Collect one episode unless its checkpoint exists; returns (env, split, episode, seconds)."""
    path = checkpoints / env_id / split / f"episode-{episode:02d}.parquet"
    if path.exists():
        return env_id, split, episode, 0.0
    start = time.perf_counter()
    rows = collect_episode(get_env(env_id), split, episode)
    write_table_atomically(rows_to_table(env_id, rows), path)
    return env_id, split, episode, time.perf_counter() - start


def assemble_split(env_id: str, split: str, checkpoints: Path, output: Path) -> Path:
    """Concatenate an env's episode checkpoints into its split file."""
    tables = [
        pq.read_table(checkpoints / env_id / split / f"episode-{e:02d}.parquet")
        for e in range(EPISODES_PER_SPLIT)
    ]
    table = pa.concat_tables(tables).cast(arrow_schema(get_env(env_id)))
    path = split_path(output, env_id, split)
    write_table_atomically(table, path)
    return path


def _record_times(seconds: dict[str, float]) -> None:
    """Add measured seconds per env to BUILD_TIMES; locked, since several builds may run at once."""
    def add(times: dict[str, float]) -> dict[str, float]:
        for env_id, value in seconds.items():
            times[env_id] = round(times.get(env_id, 0.0) + value, 1)
        return dict(sorted(times.items()))

    update_json_atomically(BUILD_TIMES, add)


def build(env_ids: list[str], *, output: Path, checkpoints: Path, jobs: int, record_times: bool = True) -> None:
    work = [(e, s, i) for e in env_ids for s in SPLITS for i in range(EPISODES_PER_SPLIT)]
    remaining = {(e, s): EPISODES_PER_SPLIT for e in env_ids for s in SPLITS}
    units = {(e, s, i): {"env_id": e, "split": s, "episode": i, "checkpoints": checkpoints} for e, s, i in work}
    finished = run_units(build_episode, units, jobs=jobs)
    for _, (env_id, split, _, seconds) in tqdm(finished, total=len(units), desc="episodes", unit="ep"):
        if record_times and seconds:
            _record_times({env_id: seconds})
        remaining[env_id, split] -= 1
        if remaining[env_id, split] == 0:
            assemble_split(env_id, split, checkpoints, output)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", action="append", help="environment id (repeatable; default: all 18)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="dataset folder (Hub layout)")
    parser.add_argument("--checkpoints", type=Path, default=DEFAULT_CHECKPOINTS, help="per-episode resume folder")
    args = parser.parse_args(argv)
    env_ids = [get_env(e).env_id for e in (args.env or ENV_IDS)]
    build(env_ids, output=args.output, checkpoints=args.checkpoints, jobs=args.jobs)


if __name__ == "__main__":
    main()
