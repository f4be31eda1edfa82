"""The importer of the paper's original release, checked against the converted reference data.

Needs ../shared/reference_cwmb (the authors' pickles in `original/` and their Parquet conversion);
the module is skipped when it is absent.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference_cwmb"
ORIGINAL = REFERENCE / "original"

if not ORIGINAL.is_dir():
    pytest.skip(f"reference release not found at {ORIGINAL}", allow_module_level=True)

if str(REPO) not in sys.path:  # data_builders is not part of the installed package
    sys.path.insert(0, str(REPO))

from cwmb.dataset.schema import COLUMNS, arrow_schema  # noqa: E402
from cwmb.errors import DatasetError, UnsafePickle  # noqa: E402
from cwmb.registry import PAPER_IDS as REGISTRY_PAPER_IDS, get_env  # noqa: E402
from data_builders.import_paper import (  # noqa: E402
    StandIn,
    buffer_to_table,
    import_buffer,
    import_release,
    load_buffer,
    main,
    restricted_loads,
)

INDEX = json.loads((REFERENCE / "index.json").read_text())
PAPER_IDS = sorted(p for p, entry in INDEX.items() if entry["available"] and p in REGISTRY_PAPER_IDS)  # not RTFM


def buffer_path(paper_id: str) -> Path:
    return ORIGINAL / f"{paper_id}.train_buffer.pkl"


@pytest.fixture(scope="module")
def imported() -> dict[str, object]:
    """paper id -> ImportedBuffer, read once for the module."""
    return {paper_id: import_buffer(buffer_path(paper_id)) for paper_id in PAPER_IDS}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> tuple[Path, list[str]]:
    output = tmp_path_factory.mktemp("paper-2024")
    return output, import_release(ORIGINAL, output)


# --------------------------------------------------------------------------- the real buffers


def test_all_16_buffers_are_imported(release):
    output, env_ids = release
    assert len(PAPER_IDS) == 16
    assert sorted(env_ids) == sorted(get_env(p).env_id for p in PAPER_IDS)
    for env_id in env_ids:
        assert (output / "data" / env_id / "train-00000-of-00001.parquet").is_file()
    assert not list(output.rglob("*.tmp"))


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_row_and_episode_counts_match_the_index(imported, paper_id):
    env_id, table = imported[paper_id]
    assert env_id == get_env(paper_id).env_id
    assert table.num_rows == INDEX[paper_id]["n_transitions"]
    assert len(set(table["episode"].to_pylist())) == INDEX[paper_id]["n_episodes"]


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_values_equal_the_converted_reference_exactly(imported, paper_id):
    _, table = imported[paper_id]
    reference = pq.read_table(REFERENCE / f"{paper_id}.parquet")
    for column in ("episode", "step", "obs", "action", "reward", "next_obs"):
        assert table[column].to_pylist() == reference[column].to_pylist(), column


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_done_is_split_as_the_reference_documents(imported, paper_id):
    _, table = imported[paper_id]
    reference = pq.read_table(REFERENCE / f"{paper_id}.parquet")
    done = np.array(reference["done"].to_pylist())
    truncated = np.array(reference["truncated_inferred"].to_pylist())
    assert table["terminated"].to_pylist() == (done & ~truncated).tolist()
    assert table["truncated"].to_pylist() == truncated.tolist()


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_table_has_the_cwmb_schema_and_no_sim_state(imported, paper_id):
    env_id, table = imported[paper_id]
    assert tuple(table.column_names) == COLUMNS
    assert table.schema.equals(arrow_schema(get_env(env_id)))  # metadata aside
    assert table.schema.metadata[b"paper_env_id"] == paper_id.encode()
    assert all(state == [] for state in table["sim_state"].to_pylist())


def test_paper_observation_sizes_are_kept(imported):
    assert len(imported["Reacher-v4"].table["obs"][0].as_py()) == 11
    assert len(imported["InvertedDoublePendulum-v4"].table["obs"][0].as_py()) == 11


def test_torch_and_gymnasium_become_stand_ins_and_are_never_imported():
    code = (
        "import sys; from data_builders.import_paper import load_buffer; "
        f"b = load_buffer({str(buffer_path('Taxi-v3'))!r}); "
        "print(type(b['device']).original, type(b['extra_info'][0]['valid_actions']).original); "
        "print(sorted(m for m in ('torch', 'gymnasium') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.split("\n")[:2] == ["torch.device gymnasium.spaces.discrete.Discrete", "[]"]


def test_written_dataset_loads_with_datasets(release, tmp_path):
    datasets = pytest.importorskip("datasets")
    output, _ = release
    card = (output / "README.md").read_text()
    assert "config_name: Taxi-v4" in card and "paper-2024" in card and "Apache-2.0" in card
    taxi = datasets.load_dataset(str(output), "Taxi-v4", cache_dir=str(tmp_path))
    assert list(taxi) == ["train"]
    assert taxi["train"].num_rows == INDEX["Taxi-v3"]["n_transitions"]
    assert taxi["train"].column_names == list(COLUMNS)
    reacher = datasets.load_dataset(str(output), "Reacher-v5", cache_dir=str(tmp_path))
    assert len(reacher["train"][0]["obs"]) == 11


# --------------------------------------------------------------------------- hostile and bad input


class _RunsShell:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class _RunsPython:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').close()",)


@pytest.mark.parametrize("payload", [_RunsShell, _RunsPython])
def test_hostile_pickle_is_refused_without_effect(tmp_path, payload):
    marker = tmp_path / "pwned"
    # Hidden inside an otherwise valid-looking buffer, after allowed numpy arrays.
    hostile = {"rewards": np.zeros(3, np.float32), "dones": np.zeros(3, bool), "obs": [payload(marker)]}
    path = tmp_path / "Taxi-v3.train_buffer.pkl"
    path.write_bytes(pickle.dumps(hostile, protocol=4))
    with pytest.raises(UnsafePickle) as refused:
        import_buffer(path)
    message = str(refused.value)
    assert ("posix.system" in message or "builtins.exec" in message) and "nothing was executed" in message
    assert not marker.exists()


def test_hostile_release_fails_the_cli_in_one_line(tmp_path, capsys):
    marker = tmp_path / "pwned"
    source = tmp_path / "release"
    source.mkdir()
    (source / "CartPole-v1.train_buffer.pkl").write_bytes(pickle.dumps(_RunsShell(marker)))
    with pytest.raises(SystemExit) as exited:
        main([str(source), str(tmp_path / "out")])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "posix.system" in err and "nothing was executed" in err
    assert not marker.exists()
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("protocol", [3, 4, 5])
def test_allowed_numpy_objects_round_trip(protocol):
    values = [
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.array([1.5, -0.0, np.inf]),
        np.array([True, False]),
        np.arange(3, dtype=np.int64),
        np.float32(0.1),
        np.int64(-7),
        np.dtype("f8"),
    ]
    loaded = restricted_loads(pickle.dumps(values, protocol=protocol))
    for original, copy in zip(values, loaded):
        if isinstance(original, np.dtype):
            assert copy == original
        else:
            assert type(copy) is type(original) and copy.dtype == original.dtype
            np.testing.assert_array_equal(copy, original)


def test_stand_ins_record_what_the_pickle_passed():
    buffer = load_buffer(buffer_path("Reacher-v4"))
    assert isinstance(buffer["device"], StandIn) and buffer["device"].args == ("cpu",)


def test_missing_folder_is_one_clear_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main([str(tmp_path / "absent"), str(tmp_path / "out")])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "does not exist" in err
    with pytest.raises(DatasetError, match="does not exist"):
        import_release(tmp_path / "absent", tmp_path / "out")


def test_file_that_is_not_a_pickle_is_a_dataset_error(tmp_path):
    path = tmp_path / "Taxi-v3.train_buffer.pkl"
    path.write_text("hello, not a pickle\n")
    with pytest.raises(DatasetError, match="is not a readable pickle"):
        import_buffer(path)


def test_pickle_that_is_not_a_buffer_is_a_dataset_error(tmp_path):
    path = tmp_path / "Taxi-v3.train_buffer.pkl"
    path.write_bytes(pickle.dumps({"obs": []}))
    with pytest.raises(DatasetError, match="not a replay buffer"):
        import_buffer(path)


@pytest.mark.parametrize("name", ["CarRacing-v2", "Taxi-v4"])  # not CWMB; a CWMB id, not the paper's
def test_buffer_not_named_by_a_paper_id_is_refused(tmp_path, name):
    path = tmp_path / f"{name}.train_buffer.pkl"
    path.write_bytes(pickle.dumps({}))
    with pytest.raises(DatasetError, match="not one of the paper's environment ids"):
        import_buffer(path)


def test_wrapped_ring_buffer_is_refused():
    buffer = load_buffer(buffer_path("Ant-v4"))
    buffer["idx"] = 7  # full, next write in the middle: the oldest rows were overwritten
    with pytest.raises(DatasetError, match="wrapped around"):
        buffer_to_table(buffer, get_env("Ant-v4"), "Ant-v4", buffer_path("Ant-v4"))


def test_inconsistent_trajectory_starts_are_refused():
    buffer = load_buffer(buffer_path("CartPole-v1"))
    buffer["traj_starts"] = buffer["traj_starts"].copy()
    buffer["traj_starts"][5] = 3  # row 5 claims an episode starting mid-way through episode 0
    with pytest.raises(DatasetError, match=r"traj_starts\[5\]"):
        buffer_to_table(buffer, get_env("CartPole-v1"), "CartPole-v1", buffer_path("CartPole-v1"))


def test_authors_folder_layout_is_found(tmp_path):
    source = tmp_path / "gymnasium_envs"
    for paper_id in ("Blackjack-v1", "Ant-v4"):
        (source / paper_id).mkdir(parents=True)
        (source / paper_id / "train_buffer.pkl").symlink_to(buffer_path(paper_id))
    assert import_release(source, tmp_path / "out") == ["Blackjack-v1", "Ant-v5"]
    card = (tmp_path / "out" / "README.md").read_text()
    assert "config_name: Ant-v5" in card and "config_name: Taxi-v4" not in card
