"""The sandbox against the hostile world models in `hostile/`: every failure gets its category, the
harness carries on, and a good world model predicts in the sandbox exactly what it predicts in-process.

Kernel isolation (network and mount namespaces, user `nobody`) needs root; the tests that depend on
it skip otherwise, with the reason. Limits are small so that the whole file runs in seconds.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cwmb.errors import FAILURE_CATEGORIES, SubmissionError, SubmissionException
from cwmb.planners.model import PlanningModel
from cwmb.sandbox import Failure, Limits, Prediction, SandboxedWorldModel
from cwmb.sandbox.client import _Process
from cwmb.sandbox.worker import CATEGORIES, COMMANDS

HOSTILE = Path(__file__).parent / "hostile"
FAST = Limits(step_timeout=0.5, load_timeout=30.0, memory_mb=512, file_size_mb=4, max_processes=8,
              max_restarts=3, output_bytes=4096)


def sandbox(name: str, env_id: str = "CartPole-v1", path: Path | None = None, **limits) -> SandboxedWorldModel:
    return SandboxedWorldModel(path or HOSTILE / f"{name}.py", env_id, limits=replace(FAST, **limits))


def cartpole_states(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return list(rng.uniform(-0.2, 0.2, size=(n, 4)).astype(np.float32))


def categories(predictions: list[Prediction]) -> list[str | None]:
    return [p.failure.category if p.failure else None for p in predictions]


def load_in_process(name: str):
    """The trusted test CWM imported here, as the paper's harness did, for the reference loop."""
    spec = importlib.util.spec_from_file_location(f"cwm_{name}", HOSTILE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Environment()


def assert_cleaned_up(pid: int, tmp: str) -> None:
    """The worker's temporary directory is gone, and so is its process group (once init has reaped
    the killed orphans, which takes a moment)."""
    assert not os.path.exists(tmp)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    pytest.fail(f"process group {pid} still exists")


# ------------------------------------------------------------------------------------------------
# A good world model

def test_categories_are_one_contract():
    assert tuple(FAILURE_CATEGORIES) == CATEGORIES
    assert all(cls.category == name and issubclass(cls, SubmissionError) for name, cls in FAILURE_CATEGORIES.items())


def test_good_cwm_predicts_exactly_as_in_process():
    states, actions = cartpole_states(300), [i % 2 for i in range(300)]
    env = load_in_process("good_cartpole")
    expected = []
    for state, action in zip(states, actions):
        env.set_state(state)
        expected.append(env.step(action))
    with sandbox("good_cartpole") as model:
        predictions = model.predict(states, actions)
    assert all(p.ok for p in predictions)
    for (state, reward, done), prediction in zip(expected, predictions):
        assert prediction.next_state.dtype == np.float32
        np.testing.assert_array_equal(prediction.next_state, state)
        assert (prediction.reward, prediction.done) == (reward, done)


def test_planning_interface_matches_in_process_reference():
    rng = np.random.default_rng(1)
    start = cartpole_states(1)[0]
    sequences = rng.integers(0, 2, size=(20, 30))

    class InProcess(PlanningModel):  # the base class's plain loop is the reference
        def __init__(self):
            self.env = load_in_process("good_cartpole")

        def get_state(self):
            return self.state

        def set_state(self, state):
            self.state = state
            self.env.set_state(state)

        def step(self, action):
            self.state, reward, done = self.env.step(action)
            return self.state, reward, done

    with sandbox("good_cartpole") as model:
        np.testing.assert_array_equal(model.rollout_returns(start, sequences),
                                      InProcess().rollout_returns(start, sequences))
        for actions, keep in [([1] * 40, 3), ([0, 1, 0], 0), ([0, 1], 5), ([], 0)]:  # the first one terminates
            got, expected = model.play(start, actions, keep), InProcess().play(start, actions, keep)
            np.testing.assert_array_equal(got.rewards, expected.rewards)
            assert got.terminated == expected.terminated
            np.testing.assert_array_equal(got.state_after, expected.state_after)
        model.set_state(start)
        first, _, _ = model.step(1)
        second, reward, done = model.step(0)  # continues from the model's own state
        np.testing.assert_array_equal(model.get_state(), second)
        reference = load_in_process("good_cartpole")
        reference.set_state(start)
        reference.step(1)
        expected = reference.step(0)
        np.testing.assert_array_equal(second, expected[0])
        assert (reward, done) == expected[1:]


@pytest.mark.parametrize(
    ("env_id", "state", "action", "next_state"),
    [
        ("Taxi-v4", 41, 3, 42),
        ("Blackjack-v1", (14, 10, 0), 1, (15, 11, 1)),
        ("Pendulum-v1", np.array([0.5, -0.5, 1.0], dtype=np.float32), np.array([0.25]),
         np.array([1.5, 0.5, 2.0], dtype=np.float32)),
    ],
    ids=["int", "int_tuple", "vector-continuous"],
)
def test_predictions_come_back_in_native_types(env_id, state, action, next_state):
    with sandbox("good_increment", env_id) as model:
        (prediction,) = model.predict([state], [action])
    assert prediction.ok
    assert type(prediction.next_state) is type(next_state)
    np.testing.assert_array_equal(prediction.next_state, next_state)
    if isinstance(next_state, np.ndarray):
        assert prediction.next_state.dtype == next_state.dtype
    assert prediction.reward == float(np.sum(action))


# ------------------------------------------------------------------------------------------------
# Load-time failures: reported once for the whole submission

@pytest.mark.parametrize(
    ("name", "category", "message"),
    [
        ("syntax_error", "syntax_error", "line 5: expected ':'"),
        ("missing_module", "import_error", "No module named 'cwmb_no_such_module' (line 3"),
        ("no_environment_class", "missing_class", "found no name 'Environment'"),
        ("import_gymnasium", "forbidden_import", "line 4: importing 'gymnasium' is not allowed"),
        ("exception_in_init", "exception", "Environment() failed: KeyError: 'missing' (line 6: self.table = {}[\"missing\"])"),
    ],
)
def test_load_failures_are_reported_once(name, category, message):
    with sandbox(name) as model:
        with pytest.raises(FAILURE_CATEGORIES[category], match=re.escape(message)) as caught:
            model.predict(cartpole_states(3), [0, 1, 0])
        assert caught.value.category == category
        with pytest.raises(FAILURE_CATEGORIES[category]):  # the same failure, without a new worker
            model.rollout_returns(cartpole_states(1)[0], np.zeros((2, 3), dtype=int))
        assert model.restarts == 0


# ------------------------------------------------------------------------------------------------
# Failures of single transitions: scored, and the batch goes on

def test_exception_in_step_fails_only_its_transitions():
    with sandbox("raise_in_step") as model:
        predictions = model.predict(cartpole_states(4), [0, 1, 0, 1])
        assert categories(predictions) == [None, "exception", None, "exception"]
        failure = predictions[1].failure
        assert failure.message == 'ValueError: cannot push right (line 10: raise ValueError("cannot push right"))'
        assert 'File "raise_in_step.py", line 10, in step' in failure.traceback
        assert "worker.py" not in failure.traceback
        assert model.restarts == 0
        # The planning interface raises the same failure.
        model.set_state(cartpole_states(1)[0])
        with pytest.raises(SubmissionException, match=re.escape("cannot push right")):
            model.step(1)
        returns = model.rollout_returns(cartpole_states(1)[0], np.array([[0, 0], [0, 1], [1, 0]]))
        assert returns.tolist() == [2.0, -np.inf, -np.inf]
        assert [(i, f.category) for i, f in model.last_rollout_failures] == [(1, "exception"), (2, "exception")]
        with pytest.raises(SubmissionException, match=re.escape("cannot push right")):  # every plan failed
            model.rollout_returns(cartpole_states(1)[0], np.array([[1, 0], [0, 1]]))
        with pytest.raises(SubmissionException, match=re.escape("cannot push right")):
            model.play(cartpole_states(1)[0], [0, 0, 1, 0], keep_state_after=1)
        assert model.play(cartpole_states(1)[0], [0, 0], keep_state_after=1).rewards.tolist() == [1.0, 1.0]


def test_infinite_loop_is_interrupted_inside_the_worker():
    with sandbox("infinite_loop") as model:
        started = time.monotonic()
        predictions = model.predict(cartpole_states(3), [0, 1, 0])
        assert time.monotonic() - started < 5
        assert categories(predictions) == [None, "timeout", None]
        assert "longer than 0.5 s" in predictions[1].failure.message
        assert model.restarts == 0


def test_infinite_loop_ignoring_signals_is_killed_by_the_parent():
    with sandbox("infinite_loop_ignoring_signals") as model:
        predictions = model.predict(cartpole_states(3), [0, 1, 0])
        assert categories(predictions) == [None, "timeout", None]
        assert "worker killed" in predictions[1].failure.message
        assert model.restarts == 1


def test_evaluation_budget_stops_everything():
    with sandbox("infinite_loop", evaluation_timeout=2.0) as model:
        started = time.monotonic()
        predictions = model.predict(cartpole_states(20), [1] * 20)
        assert time.monotonic() - started < 6
        assert set(categories(predictions)) == {"timeout"}
        assert "budget of 2 s is used up" in predictions[-1].failure.message
        assert categories(model.predict(cartpole_states(2), [0, 0])) == ["timeout", "timeout"]


def test_memory_bomb_is_refused():
    with sandbox("memory_bomb") as model:
        predictions = model.predict(cartpole_states(2), [0, 1])
        assert categories(predictions) == ["memory", "memory"]
        assert predictions[0].failure.message.startswith("MemoryError")


@pytest.mark.parametrize(("name", "message"), [("os_exit", "exited with status 3"), ("segfault", "SIGSEGV")])
def test_dead_worker_is_restarted_and_the_batch_goes_on(name, message):
    with sandbox(name) as model:
        predictions = model.predict(cartpole_states(5), [0, 1, 0, 1, 0])
        assert categories(predictions) == [None, "crash", None, "crash", None]
        assert message in predictions[1].failure.message
        assert model.restarts == 2
        np.testing.assert_array_equal(predictions[4].next_state, cartpole_states(5)[4])


def test_restarts_are_capped():
    with sandbox("segfault", max_restarts=2) as model:
        predictions = model.predict(cartpole_states(6), [1] * 6)
        assert categories(predictions) == ["crash"] * 6
        assert "the rest was not run" not in predictions[2].failure.message
        assert "died 3 times; the rest was not run" in predictions[3].failure.message
        assert model.restarts == 3
        assert categories(model.predict(cartpole_states(1), [0])) == ["crash"]  # no fourth worker
        assert model.restarts == 3


def test_forged_messages_are_refused():
    with sandbox("forge_reply") as model:
        predictions = model.predict(cartpole_states(3), [0, 1, 0])
        assert categories(predictions) == [None, "crash", None]
        assert "malformed message" in predictions[1].failure.message


@pytest.mark.parametrize(
    ("name", "actions", "expected", "message"),
    [
        ("nan_output", [0, 1], [None, "bad_output"], "next_state contains NaN or inf"),
        ("wrong_shape", [0], ["bad_output"], "next_state has shape (5,), expected (4,)"),
        ("wrong_types", [0, 1], ["bad_output", "bad_output"], "reward must be a real number, got str"),
    ],
)
def test_bad_outputs(name, actions, expected, message):
    with sandbox(name) as model:
        predictions = model.predict(cartpole_states(len(actions)), actions)
    assert categories(predictions) == expected
    assert message in [p.failure.message for p in predictions if p.failure][0]


@pytest.mark.parametrize("n", [1, 9], ids=["one-row-python-checks", "batch-numpy-checks"])
def test_output_checks_agree_for_single_steps_and_batches(n):
    with sandbox("nan_output") as model:
        predictions = model.predict(cartpole_states(n), [1] * n)
    assert {p.failure for p in predictions} == {Failure("bad_output", "next_state contains NaN or inf")}
    with sandbox("non_integer_state", "Taxi-v4") as model:
        predictions = model.predict([41] * n, [0] * n)
    assert {p.failure for p in predictions} == {Failure("bad_output", "next_state must hold integers")}


def test_simulator_imported_at_run_time_is_refused():
    with sandbox("dynamic_import") as model:
        (prediction,) = model.predict(cartpole_states(1), [0])
    assert prediction.failure.category == "forbidden_import"
    assert "importing 'gymnasium' is not allowed" in prediction.failure.message


# ------------------------------------------------------------------------------------------------
# Resources, network, files, output

def test_huge_file_is_cut_by_the_file_size_limit():
    with sandbox("huge_file") as model:
        (prediction,) = model.predict(cartpole_states(1), [0])
    assert prediction.failure.category == "exception"
    assert "File too large" in prediction.failure.message


def test_output_is_captured_and_truncated():
    with sandbox("print_megabytes") as model:
        predictions = model.predict(cartpole_states(3), [0, 1, 0])
        assert all(p.ok for p in predictions)
        output = model.output
    assert output.startswith("x" * 100)
    assert output.endswith("[cwmb: output truncated]\n")
    assert len(output) < FAST.output_bytes + 100


def test_fork_bomb_is_bounded_and_cleaned_up():
    with sandbox("fork_bomb") as model:
        (prediction,) = model.predict(cartpole_states(1), [0])
        pid, tmp = model._process.pid, model._process.tmp
        if model.isolation["worker_report"]["nproc_enforced"]:
            assert prediction.reward < FAST.max_processes
    assert_cleaned_up(pid, tmp)  # the forked children (sleeping 2 s) were killed with the group


@pytest.fixture
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    accepted: list[object] = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                accepted.append(server.accept())
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def test_socket_module_is_blocked(listener):
    port, accepted = listener
    with sandbox("open_socket") as model:
        (prediction,) = model.predict(cartpole_states(1), [port])
    assert prediction.failure.category == "exception"
    assert "network access is disabled in the CWMB sandbox" in prediction.failure.message
    assert accepted == []


def test_raw_sockets_have_no_network(listener):
    port, accepted = listener
    with sandbox("raw_socket_ctypes") as model:
        (prediction,) = model.predict(cartpole_states(1), [port])
        if model.isolation["level"] != "bubblewrap":
            pytest.skip("no network namespace without bubblewrap: ctypes reaches the network (documented)")
    assert prediction.ok and prediction.reward == 0.0
    assert accepted == []


def test_harness_cannot_be_signalled():
    with sandbox("signal_parent") as model:  # the action is the harness's pid
        (prediction,) = model.predict(cartpole_states(1), [os.getpid()])
        if model.isolation["level"] != "bubblewrap" and os.geteuid() != 0:
            pytest.skip("without bubblewrap an ordinary user's worker is the harness's user (documented)")
    assert prediction.ok and prediction.reward == 0.0


def test_worker_is_cleaned_up_and_restarted_lazily():
    model = sandbox("good_increment")
    assert model._process is None  # nothing started before first use
    with model:
        model.predict(cartpole_states(1), [0])
        pid, tmp = model._process.pid, model._process.tmp
    assert_cleaned_up(pid, tmp)


def test_worker_answers_unknown_commands_with_the_valid_ones():
    process = _Process(FAST)
    try:
        process.send("bogus", None, time.monotonic() + 30, "start")
        header, _ = process.receive(time.monotonic() + 30, "start")
    finally:
        process.close()
    assert header == {"status": "error", "category": "crash", "traceback": "",
                      "message": f"unknown command 'bogus'; valid commands: {', '.join(COMMANDS)}"}
    assert COMMANDS[:3] == ("setup", "load", "predict") and "close" in COMMANDS


def test_mismatched_inputs_are_the_callers_error():
    with sandbox("good_increment") as model:
        with pytest.raises(ValueError, match=re.escape("predict needs as many states as actions (and episode ids), got 2 and 1")):
            model.predict(cartpole_states(2), [0])
        with pytest.raises(ValueError, match=re.escape("set_state must be called before step")):
            model.step(0)
