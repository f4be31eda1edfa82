"""The builder is deterministic (byte-identical files), resumable, and writes atomically."""

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.parquet as pq
import pytest

from cwmb.dataset.load import split_file
from data_builders import build
from data_builders.collect import collect_episode, episode_seeds
from cwmb.registry import get_env


@pytest.mark.parametrize("env_id", ["Blackjack-v1", "CliffWalking-v1"])
def test_rebuilding_an_env_gives_byte_identical_files(env_id, tmp_path):
    if not split_file(env_id, "train").exists():
        pytest.skip(f"{env_id} not built yet")
    build.build([env_id], output=tmp_path / "out", checkpoints=tmp_path / "ckpt", jobs=1, record_times=False)
    for split in ("train", "test"):
        rebuilt = split_file(env_id, split, tmp_path / "out").read_bytes()
        assert rebuilt == split_file(env_id, split).read_bytes(), f"{env_id}/{split} differs from the committed file"


# Whole-env rebuilds of the planner envs take minutes; one episode of each kind of policy is
# collected again and compared exactly with the committed rows (the full rebuild is the same code).
# Not InvertedPendulum: its CEM returns tie (reward 1 per step alive), so which sample wins depends
# on the last bits of MuJoCo's arithmetic, which differ between CPUs (measured on a machine other
# than the one that built the data: first action 0.98 instead of the committed 1.25). Its
# collection is checked for determinism on this machine below instead.
@pytest.mark.parametrize(
    "env_id, split, episode",
    [("CartPole-v1", "test", 0), ("MountainCar-v0", "train", 7), ("Reacher-v5", "test", 1)],
)
def test_recollecting_an_episode_gives_identical_rows(env_id, split, episode):
    if not split_file(env_id, split).exists():
        pytest.skip(f"{env_id} not built yet")
    committed = pq.read_table(split_file(env_id, split))
    mask = pa.compute.equal(committed.column("episode"), episode)
    expected = committed.filter(mask)
    rebuilt = build.rows_to_table(env_id, collect_episode(get_env(env_id), split, episode))
    assert rebuilt.equals(expected.cast(rebuilt.schema))


def test_collecting_an_episode_twice_gives_identical_rows():
    record = get_env("InvertedPendulum-v5")
    first, second = (build.rows_to_table(record.env_id, collect_episode(record, "train", 2)) for _ in range(2))
    assert first.equals(second) and first.num_rows > 0


def test_interrupted_build_resumes_from_checkpoints(tmp_path):
    checkpoints, output = tmp_path / "ckpt", tmp_path / "out"
    # Pretend a previous run stopped after episode 3 of the train split: only that checkpoint exists.
    _, _, _, seconds = build.build_episode("CliffWalking-v1", "train", 3, checkpoints)
    assert seconds > 0
    kept = (checkpoints / "CliffWalking-v1" / "train" / "episode-03.parquet").stat().st_mtime_ns
    build.build(["CliffWalking-v1"], output=output, checkpoints=checkpoints, jobs=1, record_times=False)
    assert (checkpoints / "CliffWalking-v1" / "train" / "episode-03.parquet").stat().st_mtime_ns == kept
    assert build.build_episode("CliffWalking-v1", "train", 3, checkpoints)[3] == 0.0  # not collected again
    table = pq.read_table(split_file("CliffWalking-v1", "train", output))
    assert sorted(set(table.column("episode").to_pylist())) == list(range(10))
    assert not list(tmp_path.rglob("*.tmp")), "temporary files left behind"


def test_episode_starts_at_real_reset_and_truncation_is_separate():
    record = get_env("Taxi-v4")
    rows = collect_episode(record, "train", 0)  # uniformly random: runs to the 200-step limit
    env = record.make()
    obs, _ = env.reset(seed=episode_seeds("train", 0).reset)
    assert rows[0]["obs"] == int(obs)
    last = rows[-1]
    assert last["truncated"] != last["terminated"] or not (last["truncated"] or last["terminated"])
    assert all(not r["truncated"] for r in rows[:-1])
    if len(rows) == record.episode_limit and not last["terminated"]:
        assert last["truncated"]


def test_train_and_test_seeds_are_disjoint():
    train = {episode_seeds("train", e).reset for e in range(10)} | {episode_seeds("train", e).policy for e in range(10)}
    test = {episode_seeds("test", e).reset for e in range(10)} | {episode_seeds("test", e).policy for e in range(10)}
    assert not train & test
