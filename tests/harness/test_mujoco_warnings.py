"""MuJoCo's warnings reach Python's `warnings`, never stdout or a MUJOCO_LOG.TXT in the user's directory."""

import mujoco
import pytest

from cwmb.registry import get_env
from cwmb.simulator import MuJoCoWarning, Simulator


def test_half_cheetah_deprecation_is_silent_and_writes_no_log(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    Simulator(get_env("HalfCheetah-v5")).reset(seed=0)  # its XML uses the deprecated settotalmass
    out, err = capfd.readouterr()
    assert "settotalmass" not in out + err
    assert not (tmp_path / "MUJOCO_LOG.TXT").exists()


def test_other_mujoco_warnings_become_python_warnings(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    simulator = Simulator(get_env("Hopper-v5"))
    simulator.reset(seed=0)
    simulator.unwrapped.data.qvel[:] = 1e12  # MuJoCo warns that the simulation is unstable
    with pytest.warns(MuJoCoWarning, match="unstable"):
        mujoco.mj_step(simulator.unwrapped.model, simulator.unwrapped.data)
    assert not (tmp_path / "MUJOCO_LOG.TXT").exists()
    assert "unstable" not in capfd.readouterr().out
