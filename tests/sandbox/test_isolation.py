"""What a hostile world model can reach from inside the sandbox: not the answers, not the machine.

Three attacks, tried as a submission optimised for accuracy would: reading the rest of the batch
(caller frames, the heap), reading a copy of the data anywhere on the machine, and filling scratch
space. The filesystem and namespace tests need bubblewrap (`cwmb.sandbox.bubblewrap`) and skip,
saying so, where it cannot run; `test_as_ordinary_user.py` runs this file again as `nobody`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

import cwmb
from cwmb.dataset.load import load_transitions
from cwmb.evaluate import predict_split
from cwmb.metrics import score_v1
from cwmb.sandbox import Limits, SandboxedWorldModel
from cwmb.sandbox import bubblewrap
from tests.sandbox.test_sandbox import FAST, HOSTILE, cartpole_states, sandbox

REPO = Path(cwmb.__file__).resolve().parents[1]
needs_bubblewrap = pytest.mark.skipif(bubblewrap.probe() is not None, reason=f"bubblewrap: {bubblewrap.probe()}")


def test_state_accuracy(name: str, *, streamed: bool = True) -> float:
    transitions = load_transitions("CartPole-v1", "test")
    with sandbox(name, step_timeout=2.0) as model:
        if streamed:
            predicted = predict_split(model, transitions).predictions
        else:  # what the harness did before: the whole split in one message
            predicted = [(p.next_state, p.reward, p.done) if p.ok else None
                         for p in model.predict(transitions.obs, transitions.action)]
    return score_v1(transitions, predicted).state_accuracy


test_state_accuracy.__test__ = False  # a helper, not a test


@pytest.mark.parametrize("cheat", ["peek_at_caller_frames", "peek_at_heap"])
def test_reading_the_batch_gains_nothing(cheat):
    honest = test_state_accuracy("crude_cartpole")
    assert test_state_accuracy(cheat) == honest
    # The same cheat against the whole split in one message: the attack is real, and this test can fail.
    assert test_state_accuracy(cheat, streamed=False) > honest + 0.5


def test_rounds_follow_time_within_each_episode():
    from cwmb.sandbox.client import time_ordered_rounds

    episodes = [3, 3, 3, 7, 7, 1]
    rounds = [r.tolist() for r in time_ordered_rounds(episodes)]
    assert rounds == [[0, 3, 5], [1, 4], [2]]


def test_every_split_is_stored_in_time_order():
    # `predict` streams an episode's rows in the order given: the dataset's rows must be in step order.
    for env_id in cwmb.ENV_IDS:
        for split in ("train", "test"):
            transitions = load_transitions(env_id, split)
            for episode in set(transitions.episode.tolist()):
                steps = transitions.step[transitions.episode == episode]
                assert (steps[1:] > steps[:-1]).all(), (env_id, split, episode)


@pytest.fixture
def dataset_copies(tmp_path):
    """A copy of the CartPole test split outside the project, and one under $HOME."""
    source = REPO / "cwmb" / "data" / "CartPole-v1"
    outside = tmp_path / "copy"
    shutil.copytree(source, outside)
    home = Path(os.path.expanduser("~")) / f".cwmb-test-copy-{uuid.uuid4().hex}"
    try:
        shutil.copytree(source, home)
    except OSError:
        home = None  # an unwritable home (e.g. nobody's /nonexistent): nothing to plant there
    yield [p for p in (outside, home) if p is not None]
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


@needs_bubblewrap
def test_no_copy_of_the_data_is_readable(dataset_copies, tmp_path):
    candidates = [str(p) for copy in dataset_copies for p in (copy, *copy.iterdir())]
    # (The interpreter's own folder, under /root here, is visible by design: only it.)
    candidates += [str(REPO / "cwmb" / "data"), str(REPO / ".git"), str(REPO),
                   os.path.expanduser("~/.cache/huggingface"), os.path.expanduser("~/.cache/pip"), "/work", "/home",
                   "/usr/local", "/usr/share", "/opt", "/var", "/etc/passwd"]
    for candidate in candidates[:3]:
        assert os.path.exists(candidate), f"the test's own copy {candidate} is missing"
    source = (HOSTILE / "find_dataset_copies.py").read_text().replace("CANDIDATES = []", f"CANDIDATES = {candidates!r}")
    (tmp_path / "find_dataset_copies.py").write_text(source)
    with sandbox("find_dataset_copies", path=tmp_path / "find_dataset_copies.py") as model:
        (prediction,) = model.predict(cartpole_states(1), [0])
        assert model.isolation["level"] == "bubblewrap"
    assert prediction.ok and prediction.reward == 0.0


def _host_files_with(marker: str) -> list[str]:
    found = []
    for folder in ("/tmp", "/dev/shm", "/var/tmp"):
        for root, _, files in os.walk(folder):
            found += [os.path.join(root, f) for f in files if marker in f]
    return found


@needs_bubblewrap
def test_scratch_space_is_capped_and_nothing_outlives_the_worker(tmp_path):
    marker = uuid.uuid4().hex
    source = (HOSTILE / "fill_scratch.py").read_text().replace('MARKER = "unset"', f"MARKER = {marker!r}")
    (tmp_path / "fill_scratch.py").write_text(source)
    with sandbox("fill_scratch", path=tmp_path / "fill_scratch.py", step_timeout=20.0) as model:
        (prediction,) = model.predict(cartpole_states(1), [0])
        assert model.isolation["level"] == "bubblewrap"
        assert _host_files_with(marker) == []  # even while it runs: its files live in its own tmpfs
    assert prediction.ok
    cap_mib = (bubblewrap.TMP_BYTES + bubblewrap.SHM_BYTES) >> 20
    assert 8 <= prediction.reward <= cap_mib
    assert _host_files_with(marker) == []


@needs_bubblewrap
def test_the_worker_sees_only_what_it_needs(tmp_path):
    source = ("import json, os\nclass Environment:\n    def set_state(self, s): self.s = s\n"
              "    def step(self, a):\n        print(json.dumps([sorted(os.listdir('/')), sorted(os.listdir('/tmp')), os.getcwd()]))\n"
              "        return self.s, 0.0, False\n")
    (tmp_path / "list_root.py").write_text(source)
    with sandbox("list_root", path=tmp_path / "list_root.py") as model:
        model.predict(cartpole_states(1), [0])
        root, tmp, cwd = json.loads(model.output.splitlines()[0])
    interpreter_tops = {os.path.realpath(p).split("/")[1] for p in (os.__file__, sys.executable)}
    assert set(root) <= {"dev", "etc", "lib", "lib32", "lib64", "proc", "sandbox", "tmp", "usr"} | interpreter_tops
    assert tmp == ["work"] and cwd == "/tmp/work"


def test_without_bubblewrap_the_level_is_recorded_with_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with SandboxedWorldModel(HOSTILE / "good_increment.py", "CartPole-v1",
                                 limits=replace(FAST, bubblewrap=False)) as model:
            model.predict(cartpole_states(1), [0])
    assert model.isolation["level"] == "rlimits"
    assert model.isolation["fallback_reason"] == "disabled by Limits.bubblewrap"
    assert any("rlimits only" in str(w.message) for w in caught)


@needs_bubblewrap
def test_bubblewrap_is_used_when_it_runs():
    with SandboxedWorldModel(HOSTILE / "good_increment.py", "CartPole-v1", limits=FAST) as model:
        model.predict(cartpole_states(1), [0])
    assert model.isolation["level"] == "bubblewrap" and model.isolation["fallback_reason"] is None


@pytest.mark.parametrize("use_bubblewrap", [pytest.param(True, marks=needs_bubblewrap), False])
def test_a_killed_harness_takes_its_workers_along(tmp_path, use_bubblewrap):
    # A harness process starts a worker on a step that never returns, then is SIGKILLed.
    script = tmp_path / "harness.py"
    script.write_text(
        "from cwmb.sandbox import SandboxedWorldModel, Limits\n"
        f"model = SandboxedWorldModel({str(HOSTILE / 'infinite_loop_ignoring_signals.py')!r}, 'CartPole-v1', "
        f"limits=Limits(step_timeout=600, bubblewrap={use_bubblewrap}))\nmodel.load()\nprint('loaded', flush=True)\n"
        "import numpy as np\nmodel.predict([np.zeros(4, dtype=np.float32)], [1])  # action 1 loops forever\n")
    harness = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, cwd=REPO, text=True)
    assert harness.stdout.readline().strip() == "loaded"
    children = _descendants(harness.pid)
    assert children, "the harness started no worker"
    harness.kill()
    harness.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{pid}") for pid in children):
        time.sleep(0.1)
    alive = [pid for pid in children if os.path.exists(f"/proc/{pid}") and "Z" not in _state(pid)]
    assert alive == []


def _descendants(pid: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent]
        found += children
        frontier += children
    return found


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


@needs_bubblewrap
def test_the_submission_runs_without_capabilities(tmp_path):
    source = ("class Environment:\n    def set_state(self, s): self.s = s\n    def step(self, a):\n"
              "        status = open('/proc/self/status').read()\n"
              "        effective = int(status.split('CapEff:')[1].split()[0], 16)\n"
              "        permitted = int(status.split('CapPrm:')[1].split()[0], 16)\n"
              "        return self.s, float(effective | permitted), False\n")
    (tmp_path / "capabilities.py").write_text(source)
    with sandbox("capabilities", path=tmp_path / "capabilities.py") as model:
        (prediction,) = model.predict(cartpole_states(1), [0])
        assert model.isolation["level"] == "bubblewrap"
    assert prediction.ok and prediction.reward == 0.0


@needs_bubblewrap
def test_no_user_namespace_of_its_own_hence_no_tmpfs_of_its_own():
    with sandbox("nested_user_namespace", step_timeout=20.0) as model:
        (prediction,) = model.predict(cartpole_states(1), [0])
    assert prediction.ok and prediction.reward < 0, f"wrote {prediction.reward} MiB in a tmpfs of its own"


@needs_bubblewrap
def test_threads_still_work_under_the_filter():
    with sandbox("good_threads") as model:
        (prediction,) = model.predict(cartpole_states(1), [0])
    assert prediction.ok and prediction.reward == 1.0
