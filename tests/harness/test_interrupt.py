"""Stopping `cwmb-eval` (Ctrl-C, SIGTERM, `timeout`) ends with one line and a resumable state.

It once printed a traceback (SIGINT) or nothing at all (SIGTERM). Now: "interrupted: N
environment(s) saved in ...; rerun with --resume", exit status 130 (SIGINT) or 143 (SIGTERM), and
`--resume` reuses what was saved.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cwmb.dataset.load import split_file
from cwmb.results import read_result

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "submissions" / "baseline-static"
SLOW_STEP = '''
import time

import numpy as np


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        time.sleep(0.05)  # about 2 minutes for Taxi's two splits: it is stopped long before
        return self.state, 0.0, False
'''


@pytest.fixture
def submission(tmp_path):
    for env_id in ("CartPole-v1", "Taxi-v4"):
        if not split_file(env_id, "test").exists():
            pytest.skip(f"{env_id} not built yet")
    folder = tmp_path / "sub"
    folder.mkdir()
    shutil.copy(BASELINE / "CartPole-v1.py", folder / "CartPole-v1.py")  # fast: saved before the stop
    (folder / "Taxi-v4.py").write_text(SLOW_STEP)
    (folder / "submission.json").write_text(json.dumps({"name": "sub"}))
    return folder


def _command(folder, out, *options):
    return [sys.executable, "-m", "cwmb.cli", str(folder), "--env", "CartPole-v1", "--env", "Taxi-v4",
            "--skip-planning", "--output", str(out), *options]


def _stop_after_first_env(command, out, send):
    # A shell's background job (`cmd &` without job control, as some CI runners start tests) ignores
    # SIGINT, and the harness would inherit that: give it Ctrl-C as a terminal would.
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    saved = out.with_name(out.name + ".partial") / "CartPole-v1.json"
    deadline = time.monotonic() + 180
    while not saved.exists():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.2)
    time.sleep(1.0)  # Taxi is running now
    send(process)
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr


@pytest.mark.parametrize("jobs, send, status", [
    ("1", lambda p: p.send_signal(signal.SIGTERM), 143),  # what `timeout` and `kill` send
    ("1", lambda p: os.killpg(p.pid, signal.SIGINT), 130),  # Ctrl-C while the world model runs in-process
    ("2", lambda p: os.killpg(p.pid, signal.SIGINT), 130),  # Ctrl-C: the whole process group, pool included
])
def test_a_stopped_run_says_what_was_saved_and_resumes(jobs, send, status, submission, tmp_path):
    out = tmp_path / "r.json"
    code, _, stderr = _stop_after_first_env(_command(submission, out, "--jobs", jobs), out, send)
    assert code == status, stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last == f"interrupted: 1 environment(s) saved in {out}.partial; rerun with --resume", stderr
    assert not out.exists()

    shutil.copy(BASELINE / "Taxi-v4.py", submission / "Taxi-v4.py")  # a fast Taxi: the resumed run finishes
    resumed = subprocess.run(_command(submission, out, "--resume"), cwd=ROOT, capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resume: reusing 1 saved environment(s)" in resumed.stderr
    assert set(read_result(out)["envs"]) == {"CartPole-v1", "Taxi-v4"}
