"""`cwmb-eval --self-check` passes on this checkout, and fails loudly when data and simulator disagree."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cwmb.cli import main
from cwmb.dataset.verify import replay_split


def test_self_check_passes_and_leaves_no_mujoco_log(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)  # MuJoCo's default handler writes MUJOCO_LOG.TXT into the cwd
    assert main(["--self-check"]) == 0
    out, err = capfd.readouterr()  # capfd: MuJoCo's C code prints to file descriptor 1 directly
    assert "self-check passed" in out
    assert "settotalmass" not in out + err
    assert list(tmp_path.iterdir()) == []


def test_replay_detects_a_tampered_transition(tmp_path):
    source = pq.read_table("cwmb/data/CartPole-v1/test-00000-of-00001.parquet")
    rewards = np.asarray(source.column("reward")).copy()
    rewards[5] += 1e-3
    tampered = source.set_column(source.column_names.index("reward"), "reward", pa.array(rewards))
    folder = tmp_path / "data" / "CartPole-v1"
    folder.mkdir(parents=True)
    pq.write_table(tampered, folder / "test-00000-of-00001.parquet")
    report = replay_split("CartPole-v1", "test", tmp_path)
    assert not report.ok and "reward" in report.mismatches[0] and "step 5" in report.mismatches[0]
