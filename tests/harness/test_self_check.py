"""`cwmb-eval --self-check` passes on this checkout, and fails loudly when data and simulator disagree."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cwmb.cli import main
from cwmb.dataset.verify import replay_split


def test_self_check_passes(capsys):
    assert main(["--self-check"]) == 0
    assert "self-check passed" in capsys.readouterr().out


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
