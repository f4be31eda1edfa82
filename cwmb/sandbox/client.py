"""Parent side of the sandbox: run a submitted code world model in separate, limited processes.

    with SandboxedWorldModel("cartpole_cwm.py", "CartPole-v1") as model:
        predictions = model.predict(states, actions, episodes)  # streamed in time order
        returns = model.rollout_returns(state, sequences)         # PlanningModel interface, one message

The submission never runs in the harness process. `SandboxedWorldModel` starts a worker (see
`worker.py` for the message protocol) on first use, sends it the source text, and talks to it over
two pipes. The parent owns every deadline: a call that stops making progress is terminated, then
killed; so is a worker past the evaluation's budget. A worker that dies is restarted (at most
`Limits.max_restarts` times) and the batch continues after the transition that killed it.

Child -> parent messages are a JSON header plus raw float64/uint8 arrays, never pickles: the child
runs untrusted code that can forge any message, and unpickling would hand it the harness. Every
field is checked here (types, ranges, sizes, categories), and the numbers are checked again for
what the submission must deliver (finite, integral where the env's states are integers, `done`
0 or 1) before they become native observations through the schema codec.

What the isolation guarantees, and what it does not
---------------------------------------------------
Meant for untrusted, LLM-written code, including code a search such as GIF-MCTS optimised for
accuracy, which will use whatever it can reach. On Linux, in every case:

- no ground truth in reach: `predict` streams each episode in time order (round k carries the k-th
  transition of every episode, sent only once round k-1 is answered), so the worker only ever holds
  states it has been asked to step from; reading its caller's frames or the heap finds nothing
  that is not an input already;
- the harness process survives: the submission runs in another process, whose death, hang, memory
  use and output cannot take the harness down; messages from it are decoded without pickle and
  validated;
- rlimits set in the child: address space (MemoryError beyond it), CPU time, file size, core dumps
  off, process count; a wall-clock deadline per step (in the child) and per call and evaluation
  (in the parent: terminate, then kill), and `FAIL_FAST_AFTER` timeouts in a row end a split;
- stdin on /dev/null, stdout/stderr captured and truncated to `Limits.output_bytes`, an environment
  of PATH/HOME/TMPDIR/locale/thread counts only; the worker dies with the harness;
- `import gymnasium` (and the other simulators, and `cwmb`) refused, statically by an `ast` scan
  with the line number and dynamically by an import hook; Python's socket API refused.

Isolation level "bubblewrap" (`cwmb.sandbox.bubblewrap`; recorded as `isolation["level"]`), used
whenever `bwrap` runs here, as root and as an ordinary user alike: an allow-list filesystem of
read-only binds (interpreter, standard library, system libraries, numpy, the worker's code): no
home, project, dataset, caches or /work, whatever the path; private size-capped /tmp and /dev/shm
(64 MiB in all) that vanish with the worker; new network (no network at all, even through ctypes),
PID (the harness is invisible), IPC and UTS namespaces, and no user namespace of its own (a
seccomp filter on x86_64 and aarch64, and bwrap's --disable-userns for ordinary users: one would let
it mount a tmpfs past the cap). As root the worker also drops to user `nobody` (RLIMIT_NPROC
applies, no capabilities). The leaderboard accepts only results evaluated at this level.

Isolation level "rlimits" (the fallback, with a warning, where bubblewrap is missing or user
namespaces are disabled): only the guarantees of the first list. As root the worker still becomes
`nobody` (keeping CAP_DAC_READ_SEARCH: the interpreter may live under /root), so it cannot write
the project or signal the harness, but it can read any file, including a copy of the dataset, and
use the network through ctypes; as an ordinary user it can do whatever that user can (read and
write their files, signal the harness, open sockets), and RLIMIT_NPROC counts all their processes.

Not guaranteed at either level: a submission can overwrite its progress block or forge messages:
the harness refuses a malformed message (crash), but may charge a death to the wrong transition of
the same batch. bwrap exits with 128 + N when the worker dies of signal N, so a worker that calls
`os._exit(137)` is reported as killed. No cgroup limits: memory is bounded per process (RLIMIT_AS),
not across the processes a submission may fork (at most `Limits.max_processes`). For a stronger
boundary still, run the harness itself in a VM or gVisor.
"""

from __future__ import annotations

import fcntl
import functools
import json
import math
import mmap
import os
import pickle
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from itertools import repeat
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from cwmb.dataset.schema import decode_observation
from cwmb.errors import FAILURE_CATEGORIES, SandboxError, SubmissionError
from cwmb.planners.model import PlanningModel, Playout
from cwmb.registry import EnvRecord, get_env
from cwmb.sandbox import bubblewrap
from cwmb.sandbox.limits import NOBODY, Limits
from cwmb.sandbox.worker import CATEGORIES, EXIT_MEMORY, REPLY, REQUEST

#: What a worker ran under, weakest first: "rlimits" (a separate process with resource limits: the
#: fallback) or "bubblewrap" (also the allow-list filesystem and private namespaces).
ISOLATION_LEVELS = ("rlimits", "bubblewrap")

_POLL_SECONDS = 0.05
_KILL_GRACE_SECONDS = 0.25
_MAX_HEADER_BYTES = 16 << 20
_MAX_PAYLOAD_BYTES = 1 << 30
_REQUEST_BYTES = 32 << 20  # larger batches are sent as several predict commands
_MAX_TEXT = 8000
_TRANSITION_CATEGORIES = frozenset({"exception", "timeout", "memory", "bad_output", "forbidden_import"})
_INT_LIMIT = 2.0**53  # integers above this are not exact in float64
_PIPE_BYTES = 1 << 20
_FEW_ROWS = 4


class Failure(NamedTuple):
    """Why a transition, a rollout or a whole submission failed."""

    category: str
    """One of `cwmb.errors.FAILURE_CATEGORIES` (syntax_error, ..., forbidden_import)."""
    message: str
    """One line; for exceptions it ends with the submission's offending line and its text."""
    traceback: str = ""
    """The traceback cut down to the submission's own frames (empty when there is none)."""

    def error(self) -> SubmissionError:
        """The matching `SubmissionError` subclass, ready to raise."""
        return FAILURE_CATEGORIES[self.category](self.message, self.traceback)

    def to_dict(self) -> dict[str, str]:
        return self._asdict()


class Prediction(NamedTuple):
    """What the world model predicted for one (state, action) pair, in the env's native types."""

    next_state: Any
    """int, tuple of ints or numpy array like the input state; None when the transition failed."""
    reward: float
    """NaN when the transition failed."""
    done: bool
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


class Trajectory(NamedTuple):
    """What the world model predicted along one open-loop rollout (`SandboxedWorldModel.trajectories`)."""

    states: list[Any]
    """Predicted next states, one per step taken, in the env's native types."""
    rewards: np.ndarray
    """Predicted rewards, one per step taken."""
    done: bool
    """The model said done at its last step (the rollout stopped there)."""


_new_prediction = partial(tuple.__new__, Prediction)  # Prediction._make without its Python-level checks


class _WorkerDied(Exception):
    """The worker is gone (and reaped); `position` is the item it was running, if any."""

    def __init__(self, failure: Failure, position: int | None, final: bool = False):
        super().__init__(failure.message)
        self.failure, self.position, self.final = failure, position, final


class SandboxedWorldModel(PlanningModel):
    """A submitted code world model behind the sandbox, for accuracy (`predict`) and planning.

    As a `PlanningModel` its state is the observation last set or produced. `step` and `play` raise
    the failure's `SubmissionError`; `rollout_returns` scores a failed sequence -inf (never chosen
    as an elite) and lists why in `last_rollout_failures`. Load-time failures (syntax_error,
    forbidden_import, import_error, missing_class, an exception in `Environment()`) are raised by
    every call as the same `SubmissionError`: report them once for the submission.
    """

    def __init__(self, path: str | os.PathLike[str], env_id: str, *, limits: Limits = Limits()):
        self.path = Path(path)
        self.record: EnvRecord = get_env(env_id)
        self.limits = limits
        self.isolation: dict[str, Any] = {}
        """What `limits.apply_in_child` achieved in the first worker (see the module docstring)."""
        self.restarts = 0
        """Workers restarted after a death so far."""
        self.last_rollout_failures: list[tuple[int, Failure]] = []
        """(sequence index, failure) of the last `rollout_returns` call."""
        self._process: _Process | None = None
        self._loaded = False
        self._load_failure: Failure | None = None
        self._exhausted: Failure | None = None
        self._spent = 0.0
        self._state: Any = None
        self._synced = False  # the worker's Environment holds self._state
        self._outputs: list[str] = []

    # -- lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> SandboxedWorldModel:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker, kill its process group and delete its temporary directory."""
        if self._process is not None:
            self._outputs.append(self._process.close())
            self._process = None

    def load(self) -> None:
        """Start the worker and load the submission, unless done already.

        Raises:
            SubmissionError: the submission's load failure (the same one on every call).
            SandboxError: the worker itself could not start.
        """
        if self._load_failure is not None:
            raise self._load_failure.error()
        if self._loaded:
            return
        try:
            self._start()
        except _WorkerDied as death:
            self._load_failure = death.failure
        if self._load_failure is not None:
            raise self._load_failure.error()
        self._loaded = True

    @property
    def output(self) -> str:
        """The submission's stdout and stderr so far, truncated to `Limits.output_bytes` per worker."""
        current = [self._process.read_output()] if self._process is not None else []
        return "".join(self._outputs + current)

    # -- accuracy -----------------------------------------------------------------------------
    def predict(self, states: Sequence[Any], actions: Sequence[Any], episodes: Sequence[int] | None = None, *,
                after_round: Callable[[np.ndarray, list[Prediction]], None] | None = None) -> list[Prediction]:
        """`env.set_state(state); env.step(action)` for every pair, streamed in time order.

        `episodes` gives each pair's episode (its rows in time order, as in the dataset): round k
        sends the k-th transition of every episode in one message, and only after round k-1 has
        been answered, so the worker never holds a state it has not been asked to step from (the
        next transition's state is this one's ground truth). None: independent pairs, one round.

        `states` are native observations of one shape, `actions` native actions. A failing
        transition gets a `Prediction` with its `failure`; the others are unaffected. After
        `FAIL_FAST_AFTER` timeouts (or memory failures) in a row, the rest are not run and get
        that category, so that a model that hangs on every step costs seconds, not hours.

        `after_round(indices, predictions)` is called with each round's row indices and answers once
        it is answered, before the next round is sent (not for rounds left unrun): requests made
        there may use the states of the rounds so far only (`trajectories` from this round's states).
        """
        if len(states) != len(actions) or (episodes is not None and len(episodes) != len(states)):
            sizes = f"{len(states)} and {len(actions)}" + ("" if episodes is None else f" and {len(episodes)} episode ids")
            raise ValueError(f"predict needs as many states as actions (and episode ids), got {sizes}")
        self.load()
        self._synced = False
        if len(states) == 0:
            return []
        states, shape = self._native_states(states)
        actions = self._native_actions(actions)
        rounds = [np.arange(len(actions))] if episodes is None else time_ordered_rounds(episodes)
        results: list[Prediction] = [None] * len(actions)  # type: ignore[list-item]
        streak = FailureStreak()
        for indices in rounds:
            if streak.verdict is not None:
                for i in indices.tolist():
                    results[i] = Prediction(None, math.nan, False, streak.verdict)
                continue
            batch = self._transitions(_take(states, indices), _take(actions, indices), shape, set_state=True)
            for i, prediction in zip(indices.tolist(), batch):
                results[i] = prediction
                streak.add(prediction.failure)
            if after_round is not None:
                after_round(indices, batch)
        return results

    def trajectories(self, states: Sequence[Any], action_sequences: Sequence[Sequence[Any]]) -> list[Trajectory | Failure]:
        """Open-loop rollouts in one message: from each state, `set_state` once, then `step` through
        its action sequence on the model's own predictions, stopping when it says done.

        For the graded metrics (`cwmb.metrics.graded`): the actions are recorded ones, the states
        must be states the worker may hold (under `predict`'s time order: from `after_round`). A
        rollout that raises, times out or returns bad numbers is that `Failure`; the others are
        unaffected.
        """
        if len(states) != len(action_sequences):
            raise ValueError(f"trajectories needs one action sequence per state, got {len(states)} states "
                             f"and {len(action_sequences)} sequences")
        self.load()
        self._synced = False
        if len(states) == 0:
            return []
        states, shape = self._native_states(states)
        width = int(np.prod(shape, dtype=np.int64))
        sequences = [self._native_actions(actions) if len(actions) else [] for actions in action_sequences]
        sent: list[list[int]] = [[]]

        def payload(indices: np.ndarray) -> dict[str, Any]:
            sent[0] = indices.tolist()
            return {"states": _take(states, indices), "actions": _take(sequences, indices), "shape": list(shape)}

        def decode(process: _Process, header: dict[str, Any], data: bytes, n_sent: int) -> tuple[int, list[Any]]:
            return self._decode_trajectories(process, header, data, [len(sequences[i]) for i in sent[0]],
                                             shape, width)

        return self._run("trajectories", len(sequences), payload, decode, lambda failure: failure)

    # -- planning -----------------------------------------------------------------------------
    def get_state(self) -> Any:
        return self._state

    def set_state(self, state: Any) -> None:
        (self._state,), _ = self._native_states([state])
        if isinstance(self._state, np.ndarray):
            self._state = self._state.copy()  # not a view of the one-row batch
        self._synced = False

    def step(self, action: Any) -> tuple[Any, float, bool]:
        """One step from the current state. Raises the failure's `SubmissionError` if it fails."""
        if self._state is None:
            raise ValueError("set_state must be called before step: the sandboxed model has no state yet")
        self.load()
        states, shape = self._native_states([self._state])
        (prediction,) = self._transitions(states, self._native_actions([action]), shape,
                                          set_state=not self._synced)
        if prediction.failure is not None:
            self._synced = False
            raise prediction.failure.error()
        self._state, self._synced = prediction.next_state, True
        return prediction.next_state, prediction.reward, prediction.done

    def play(self, state: Any, actions: Any, keep_state_after: int = 0) -> Playout:
        """`PlanningModel.play` in one message. Raises the failure's `SubmissionError` if a step fails.

        Afterwards the model's state is the last state produced, as after the same `step` calls.
        """
        self.load()
        self._synced = False
        states, shape = self._native_states([state])
        width = int(np.prod(shape, dtype=np.int64))
        actions = self._native_actions(actions) if len(actions) else []
        payload = {"state": states[0], "actions": actions, "keep": int(keep_state_after), "shape": list(shape)}
        final: list[Any] = []

        def decode(process: _Process, header: dict[str, Any], data: bytes, sent: int) -> tuple[int, list[Any]]:
            steps, kept, terminated = (_header_int(process, header, "steps"), header.get("kept"),
                                       header.get("terminated"))
            errors = _decode_errors(process, header, 0, 1)
            has_states = steps > 0 and not errors
            if (type(kept) is not bool or type(terminated) is not bool or not 0 <= steps <= len(actions)
                    or _header_int(process, header, "width") != width or kept != (has_states and keep_state_after <= steps
                                                                               and keep_state_after > 0)
                    or len(data) != 8 * (steps + width * ((kept + 1) if has_states else 0))):
                process.violation(f"a play reply of {len(data)} bytes for {steps} steps")
            if errors:
                return 0, [errors[0]]
            rewards = np.frombuffer(data, np.float64, steps).copy()
            block = np.frombuffer(data, np.float64, offset=8 * steps).reshape(-1, width)
            bad = self._check_outputs(block, np.zeros(len(block)), np.zeros(len(block), dtype=np.uint8))
            if not np.isfinite(rewards).all():
                return 0, [Failure("bad_output", "reward is NaN or inf")]
            if bad:
                return 0, [Failure("bad_output", next(iter(bad.values())))]
            native = self._decode_states(block, shape)
            final[:] = native[-1:]
            return 0, [Playout(rewards, terminated, native[0] if kept else None)]

        (result,) = self._run("play", 1, lambda indices: payload, decode, lambda failure: failure)
        if isinstance(result, Failure):
            raise result.error()
        if final:
            self._state, self._synced = final[0], True
        return result

    def rollout_returns(self, state: Any, action_sequences: np.ndarray) -> np.ndarray:
        """Return of each sequence from `state` (stopping at done), all evaluated in one call.

        A sequence whose rollout fails returns -inf (never an elite); `last_rollout_failures` says
        why. If every sequence fails, the first failure's `SubmissionError` is raised instead, as
        `play` would: the plan failed. Only rewards and done are checked (next states are not returned).
        """
        self.load()
        self._synced = False
        (native_state,), _ = self._native_states([state])
        if self.record.action_kind == "discrete":
            sequences: Any = np.asarray(action_sequences, dtype=np.int64).tolist()
        else:
            sequences = np.asarray(action_sequences, dtype=np.float64)
        n = len(sequences)
        returns = np.full(n, -np.inf)
        failures: dict[int, Failure] = {}

        def payload(indices: np.ndarray) -> dict[str, Any]:
            return {"state": native_state, "actions": _take(sequences, indices)}

        def decode(process: _Process, header: dict[str, Any], data: bytes, sent: int) -> tuple[int, list[Any]]:
            start, count = _header_int(process, header, "start"), _header_int(process, header, "count")
            if start < 0 or count < 0 or start + count > sent or len(data) != 8 * count:
                process.violation(f"a rollouts chunk of {len(data)} bytes for rows {start}..{start + count}")
            errors = _decode_errors(process, header, start, count)
            chunk: list[Any] = np.frombuffer(data, np.float64, count).tolist()
            for offset, value in enumerate(chunk):
                if not math.isfinite(value):
                    chunk[offset] = Failure("bad_output", f"the rollout's return is {value} (a reward was NaN or inf)")
            for position, failure in errors.items():
                chunk[position - start] = failure
            return start, chunk

        results = self._run("rollouts", n, payload, decode, lambda failure: failure)
        for i, result in enumerate(results):
            if isinstance(result, Failure):
                failures[i] = result
            else:
                returns[i] = result
        self.last_rollout_failures = sorted(failures.items())
        if n and len(failures) == n:
            raise self.last_rollout_failures[0][1].error()
        return returns

    # -- native types -------------------------------------------------------------------------
    def _native_states(self, states: Sequence[Any]) -> tuple[Any, tuple[int, ...]]:
        """The states as the worker receives them, and the shape every next state must have."""
        kind = self.record.observation_kind
        if kind == "vector":
            stacked = np.asarray(states, dtype=self.record.observation_dtype)
            if stacked.ndim < 2:
                raise ValueError(f"{self.record.env_id} states must be vectors, got an array of shape {stacked.shape}")
            return stacked, stacked.shape[1:]
        if kind == "int":
            return [int(s) for s in states], ()
        native = [tuple(int(x) for x in s) for s in states]
        if len({len(s) for s in native}) > 1:
            raise ValueError(f"{self.record.env_id} states must all have the same length")
        return native, (len(native[0]),)

    def _native_actions(self, actions: Sequence[Any]) -> Any:
        if self.record.action_kind == "discrete":
            return np.asarray(actions, dtype=np.int64).tolist()
        return np.asarray(actions, dtype=np.float64)

    # -- batched transitions ------------------------------------------------------------------
    def _transitions(self, states: Any, actions: Any, shape: tuple[int, ...], *, set_state: bool) -> list[Prediction]:
        width = int(np.prod(shape, dtype=np.int64))
        sent_set_state = [set_state]

        def payload(indices: np.ndarray) -> dict[str, Any]:
            request = {"states": _take(states, indices), "actions": _take(actions, indices),
                       "set_state": sent_set_state[0], "shape": list(shape)}
            sent_set_state[0] = True  # a restarted worker has lost the model's own state
            return request

        def decode(process: _Process, header: dict[str, Any], data: bytes, sent: int) -> tuple[int, list[Any]]:
            return self._decode_transitions(process, header, data, sent, shape, width)

        def failed(failure: Failure) -> Prediction:
            return Prediction(None, math.nan, False, failure)

        rows = max(1, _REQUEST_BYTES // (8 * (width + 2 + np.size(actions[0]))))
        return self._run("predict", len(actions), payload, decode, failed, rows_per_request=rows)

    def _decode_transitions(self, process: _Process, header: dict[str, Any], data: bytes, sent: int,
                            shape: tuple[int, ...], width: int) -> tuple[int, list[Prediction]]:
        """(first row, predictions) of one chunk: validated, converted to native types."""
        start, count = _header_int(process, header, "start"), _header_int(process, header, "count")
        if (start < 0 or count < 0 or start + count > sent or _header_int(process, header, "width") != width
                or len(data) != count * (8 * width + 9)):
            process.violation(f"a predict chunk of {len(data)} bytes for rows {start}..{start + count}")
        errors = _decode_errors(process, header, start, count)
        states = np.frombuffer(data, np.float64, count * width).reshape(count, width)
        rewards = np.frombuffer(data, np.float64, count, offset=8 * count * width)
        dones = np.frombuffer(data, np.uint8, count, offset=8 * count * (width + 1))
        bad = self._check_outputs(states, rewards, dones)
        next_states = self._decode_states(states, shape)
        chunk = list(map(_new_prediction, zip(next_states, rewards.tolist(), (dones == 1).tolist(), repeat(None))))
        for offset, reason in bad.items():
            chunk[offset] = Prediction(None, math.nan, False, Failure("bad_output", reason))
        for position, failure in errors.items():
            chunk[position - start] = Prediction(None, math.nan, False, failure)
        return start, chunk

    def _decode_trajectories(self, process: _Process, header: dict[str, Any], data: bytes, lengths: list[int],
                             shape: tuple[int, ...], width: int) -> tuple[int, list[Trajectory | Failure]]:
        """(first rollout, its results) of one trajectories chunk: validated, converted to native types.

        `lengths` are the action sequences' lengths of the rollouts sent: a rollout takes all its
        steps, or fewer only when it ended by done, or none when it failed.
        """
        start, count = _header_int(process, header, "start"), _header_int(process, header, "count")
        steps = header.get("steps")
        if (start < 0 or count < 0 or start + count > len(lengths) or _header_int(process, header, "width") != width
                or not isinstance(steps, list) or len(steps) != count
                or not all(type(n) is int and 0 <= n <= lengths[start + j] for j, n in enumerate(steps))):
            process.violation(f"a trajectories chunk with steps {str(steps)[:200]} for rollouts {start}..{start + count}")
        total = sum(steps)
        if len(data) != 8 * total * (width + 1) + count:
            process.violation(f"a trajectories chunk of {len(data)} bytes for {total} steps")
        errors = _decode_errors(process, header, start, count)
        states = np.frombuffer(data, np.float64, total * width).reshape(total, width)
        rewards = np.frombuffer(data, np.float64, total, offset=8 * total * width)
        ended = np.frombuffer(data, np.uint8, count, offset=8 * total * (width + 1))
        bad = self._check_outputs(states, rewards, np.zeros(total, dtype=np.uint8))
        chunk: list[Trajectory | Failure] = []
        offset = 0
        for j, taken in enumerate(steps):
            rows = range(offset, offset + taken)
            offset += taken
            if start + j in errors:
                chunk.append(errors[start + j])
                continue
            if ended[j] > 1 or (taken < lengths[start + j] and not ended[j]) or (ended[j] and taken == 0):
                process.violation(f"rollout {start + j} took {taken} of {lengths[start + j]} steps, ended {ended[j]}")
            reason = next((bad[row] for row in rows if row in bad), None)
            if reason is not None:
                chunk.append(Failure("bad_output", reason))
                continue
            native = self._decode_states(states[rows.start : rows.stop], shape) if taken else []
            chunk.append(Trajectory(native, rewards[rows.start : rows.stop].copy(), bool(ended[j])))
        return start, chunk

    def _check_outputs(self, states: np.ndarray, rewards: np.ndarray, dones: np.ndarray) -> dict[int, str]:
        """Rows whose numbers a world model must not produce -> the reason, for `bad_output`."""
        if len(states) <= _FEW_ROWS:  # single steps: numpy's per-call overhead would dominate
            bad = {}
            for row, (values, reward, done) in enumerate(zip(states.tolist(), rewards.tolist(), dones.tolist())):
                reason = self._check_row(values, reward, done)
                if reason:
                    bad[row] = reason
            return bad
        checks: list[tuple[np.ndarray, str]] = [
            (np.isfinite(states).all(axis=1), "next_state contains NaN or inf"),
            (np.isfinite(rewards), "reward is NaN or inf"),
            (dones <= 1, "done is not a bool"),
        ]
        if self.record.observation_kind == "vector":
            with np.errstate(over="ignore"):
                narrow = states.astype(self.record.observation_dtype)
            checks.append((np.isfinite(narrow).all(axis=1),
                           f"next_state does not fit the env's {self.record.observation_dtype}"))
        else:
            integral = (np.floor(states) == states) & (np.abs(states) <= _INT_LIMIT)
            checks.append((integral.all(axis=1), "next_state must hold integers"))
        bad: dict[int, str] = {}
        for passed, reason in reversed(checks):  # the first failed check names the reason
            for row in np.flatnonzero(~passed).tolist():
                bad[row] = reason
        return bad

    def _check_row(self, values: list[float], reward: float, done: int) -> str | None:
        """`_check_outputs` for one row, in plain Python; the same checks, in the same order."""
        if not all(map(math.isfinite, values)):
            return "next_state contains NaN or inf"
        if not math.isfinite(reward):
            return "reward is NaN or inf"
        if done > 1:
            return "done is not a bool"
        dtype = self.record.observation_dtype
        if self.record.observation_kind == "vector":
            if dtype != "float64":
                with np.errstate(over="ignore"):
                    if not np.isfinite(np.asarray(values, dtype=dtype)).all():
                        return f"next_state does not fit the env's {dtype}"
        elif not all(v == math.floor(v) and abs(v) <= _INT_LIMIT for v in values):
            return "next_state must hold integers"
        return None

    def _decode_states(self, states: np.ndarray, shape: tuple[int, ...]) -> list[Any]:
        """Float64 rows -> native observations through the schema codec (NaN rows are dropped later)."""
        record = self.record
        if record.observation_kind == "vector":
            with np.errstate(over="ignore", invalid="ignore"):
                block = decode_observation(record, states)
            if not block.flags.writeable:  # float64 envs: still the message's read-only buffer
                block = block.copy()
            return list(block.reshape(len(states), *shape))
        safe = np.where(np.isfinite(states) & (np.abs(states) <= _INT_LIMIT), states, 0.0)
        if record.observation_kind == "int":
            return [decode_observation(record, value) for value in safe[:, 0].tolist()]
        return [decode_observation(record, row) for row in safe.tolist()]

    # -- the restart loop shared by predict, step and rollout_returns -------------------------
    def _run(self, command: str, n: int, payload: Callable[[np.ndarray], dict[str, Any]],
             decode: Callable[[_Process, dict[str, Any], bytes, int], tuple[int, list[Any]]],
             failed: Callable[[Failure], Any], *, rows_per_request: int | None = None) -> list[Any]:
        """Results of items 0..n-1, each run once; a worker death fails the item it was running."""
        results: list[Any] = [None] * n
        pending = np.arange(n)
        while pending.size:
            if self._exhausted is not None:
                for i in pending.tolist():
                    results[i] = failed(self._exhausted)
                break
            batch = pending[: rows_per_request or pending.size]
            try:
                process = self._live_process()
            except _WorkerDied as death:  # a restarted worker failed to load: nothing ran
                self._after_death(death)
                continue
            died = False
            indices = batch.tolist()
            contiguous = indices[-1] - indices[0] == len(indices) - 1  # pending is sorted and unique
            try:
                for start, chunk in self._call(process, command, payload(batch), decode, batch.size):
                    if contiguous:
                        results[indices[start] : indices[start] + len(chunk)] = chunk
                    else:
                        for index, result in zip(indices[start : start + len(chunk)], chunk):
                            results[index] = result
            except _WorkerDied as death:
                died = True
                self._after_death(death)
                # Blame the item the worker was running; if its progress block says nothing
                # believable (overwritten, or between items), the first one not reported.
                unreported = [p for p in range(batch.size) if results[batch[p]] is None]
                position = death.position
                if position not in unreported:
                    position = unreported[0] if unreported else None
                if position is not None:
                    results[batch[position]] = failed(death.failure)
            if died:
                pending = np.array([i for i in pending.tolist() if results[i] is None], dtype=np.int64)
            else:
                pending = pending[batch.size :]
        return results

    def _call(self, process: _Process, command: str, payload: dict[str, Any],
              decode: Callable[[_Process, dict[str, Any], bytes, int], tuple[int, list[Any]]],
              sent: int) -> Iterator[tuple[int, list[Any]]]:
        started = time.monotonic()
        deadline, reason = self._budget_deadline()
        stall = 1.5 * self.limits.step_timeout + 1.0
        try:
            process.send(command, payload, deadline, reason)
            while True:
                header, data = process.receive(deadline, reason, stall=stall)
                status = header.get("status")
                if status in ("chunk", "ok"):  # the last chunk comes as "ok"
                    yield decode(process, header, data, sent)
                    if status == "ok":
                        return
                elif status == "error":
                    failure = _decode_failure(process, header)
                    process.kill()
                    raise _WorkerDied(failure, process.position())
                else:
                    process.violation(f"unknown status {status!r}")
        finally:
            self._spent += time.monotonic() - started

    def _budget_deadline(self) -> tuple[float, str]:
        left = self.limits.evaluation_timeout - self._spent
        return time.monotonic() + left, f"the evaluation's budget of {self.limits.evaluation_timeout:g} s is used up"

    def _live_process(self) -> _Process:
        if self._process is None:
            self._start()
        assert self._process is not None
        return self._process

    def _after_death(self, death: _WorkerDied) -> None:
        if self._process is not None:
            self._outputs.append(self._process.close())
            self._process = None
        self._synced = False
        self.restarts += 1
        if death.final or self.restarts > self.limits.max_restarts:
            note = "" if death.final else f" (the worker died {self.restarts} times; the rest was not run)"
            self._exhausted = death.failure._replace(message=death.failure.message + note)

    def _start(self) -> None:
        """Start a worker, set it up and load the submission into it.

        Raises:
            _WorkerDied: the submission failed to load (its category) or the worker died loading it.
            SandboxError: the worker could not be started or set up.
        """
        try:
            source = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise _WorkerDied(Failure("syntax_error", f"{self.path.name} is not UTF-8 text: {exc}"), None) from None
        started = time.monotonic()
        deadline, reason = self._budget_deadline()
        if deadline <= started:
            raise _WorkerDied(Failure("timeout", reason), None, final=True)
        budget_limits = deadline < started + self.limits.load_timeout
        if not budget_limits:
            deadline = started + self.limits.load_timeout
            reason = f"starting the worker and loading the submission took more than {self.limits.load_timeout:g} s"
        process = _Process(self.limits)
        try:
            try:
                process.send("setup", {"limits": self.limits.to_dict(), "bubblewrap": process.in_bubblewrap,
                                       "harness_pid": os.getpid()}, deadline, reason)
                header, _ = process.receive(deadline, reason)
            except _WorkerDied as death:
                if death.final and budget_limits:  # the evaluation's budget ran out, not a broken worker
                    raise
                raise SandboxError(f"the sandbox worker failed to start: {death.failure.message}") from None
            if header.get("status") != "ok" or not isinstance(header.get("isolation"), dict):
                raise SandboxError(f"the sandbox worker failed to set up: {str(header.get('message'))[:_MAX_TEXT]}")
            # The level is what the parent set up; the worker's own report could be forged.
            self.isolation = self.isolation or {"level": process.isolation_level, "fallback_reason": process.fallback_reason,
                                                "worker_report": header["isolation"]}
            process.send("load", {"source": source, "filename": self.path.name}, deadline, reason)
            header, _ = process.receive(deadline, reason)
            if header.get("status") != "ok":
                raise _WorkerDied(_decode_failure(process, header), None)
        except _WorkerDied:
            self._outputs.append(process.close())
            raise
        except BaseException:
            process.close()
            raise
        finally:
            self._spent += time.monotonic() - started
        self._process = process


def time_ordered_rounds(episodes: Sequence[int]) -> list[np.ndarray]:
    """Row indices by round: round k holds the k-th row of every episode (rows of an episode in order)."""
    episodes = np.asarray(episodes)
    n = len(episodes)
    order = np.argsort(episodes, kind="stable")
    ordered = episodes[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    lengths = np.diff(np.r_[starts, n])
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n) - np.repeat(starts, lengths)
    by_round = np.argsort(position, kind="stable")
    return np.split(by_round, np.cumsum(np.bincount(position))[:-1])


FAIL_FAST_AFTER = 3
"""Consecutive timeouts (or memory failures) after which a `predict` call marks the rest failed."""
_FAIL_FAST_CATEGORIES = frozenset({"timeout", "memory"})


class FailureStreak:
    """Counts consecutive transitions failing with the same slow category; `verdict` once it is long enough."""

    def __init__(self) -> None:
        self.category: str | None = None
        self.length = 0
        self.verdict: Failure | None = None

    def add(self, failure: Failure | None) -> None:
        if failure is None or failure.category not in _FAIL_FAST_CATEGORIES:
            self.category, self.length = None, 0
            return
        self.length = self.length + 1 if failure.category == self.category else 1
        self.category = failure.category
        if self.length >= FAIL_FAST_AFTER and self.verdict is None:
            self.verdict = Failure(failure.category, f"not run: the {FAIL_FAST_AFTER} transitions before failed with "
                                                     f"{failure.category} in a row (last: {failure.message})")


def _take(items: Any, indices: np.ndarray) -> Any:
    """`items` at `indices` (all of them without a copy)."""
    if len(indices) == len(items):
        return items
    return items[indices] if isinstance(items, np.ndarray) else [items[i] for i in indices.tolist()]


# ------------------------------------------------------------------------------------------------
# Validating what the child sends

def _header_int(process: _Process, header: dict[str, Any], key: str) -> int:
    value = header.get(key)
    if type(value) is not int:
        process.violation(f"field {key!r} must be an int, got {type(value).__name__}")
    return value


def _text(value: Any) -> str:
    return value[:_MAX_TEXT] if isinstance(value, str) else ""


def _decode_failure(process: _Process, header: dict[str, Any]) -> Failure:
    category = header.get("category")
    if category not in CATEGORIES:
        process.violation(f"unknown failure category {str(category)[:100]!r}")
    return Failure(category, _text(header.get("message")), _text(header.get("traceback")))


def _decode_errors(process: _Process, header: dict[str, Any], start: int, count: int) -> dict[int, Failure]:
    errors = header.get("errors")
    if not isinstance(errors, list) or len(errors) > count:
        process.violation("field 'errors' must be a list with at most one entry per row")
    decoded: dict[int, Failure] = {}
    for item in errors:
        if (not isinstance(item, list) or len(item) != 4 or type(item[0]) is not int
                or not start <= item[0] < start + count or item[1] not in _TRANSITION_CATEGORIES):
            process.violation(f"malformed error entry {str(item)[:200]}")
        decoded[item[0]] = Failure(item[1], _text(item[2]), _text(item[3]))
    return decoded


# ------------------------------------------------------------------------------------------------
# One worker process

def _child_environment(workdir: str) -> dict[str, str]:
    """All the environment a worker gets: no tokens, no data paths, one thread per library."""
    one = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")}
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8", **one}


class _Process:
    """The parent's handle on one worker: its pipes, progress block, deadlines and death."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.fallback_reason = "disabled by Limits.bubblewrap" if not limits.bubblewrap else bubblewrap.probe()
        self.in_bubblewrap = self.fallback_reason is None
        self.isolation_level = "bubblewrap" if self.in_bubblewrap else "rlimits"
        if not self.in_bubblewrap:
            _warn_fallback(self.fallback_reason)
        # Under bubblewrap the worker never sees this folder (it holds only the captured output);
        # in the fallback it is the worker's working directory.
        self.tmp = tempfile.mkdtemp(prefix="cwmb-sandbox-")
        if os.geteuid() == 0 and limits.drop_privileges and not self.in_bubblewrap:
            os.chown(self.tmp, NOBODY, NOBODY)
        command_read, self.command_fd = os.pipe()
        self.reply_fd, reply_write = os.pipe()
        for fd in (self.command_fd, self.reply_fd):
            _enlarge_pipe(fd)
        progress_fd = os.memfd_create("cwmb-progress")
        os.ftruncate(progress_fd, 16)
        self._map = mmap.mmap(progress_fd, 16)
        self.progress = memoryview(self._map).cast("q")
        self.progress[1] = -1
        self.output_path = os.path.join(self.tmp, "output.txt")
        inherited: list[int] = []
        with open(self.output_path, "wb") as output:
            try:
                fds = [str(command_read), str(reply_write), str(progress_fd)]
                if self.in_bubblewrap:
                    argv, inherited = bubblewrap.command(fds)
                else:
                    argv = [sys.executable, "-I", "-B", "-m", "cwmb.sandbox.worker", *fds]
                self.proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL, stdout=output, stderr=output, cwd=self.tmp,
                    env=_child_environment(bubblewrap.WORKDIR if self.in_bubblewrap else self.tmp),
                    pass_fds=(command_read, reply_write, progress_fd, *inherited), start_new_session=True,
                )
            except OSError as exc:
                os.close(self.command_fd)
                os.close(self.reply_fd)
                self._map.close()
                shutil.rmtree(self.tmp, ignore_errors=True)
                raise SandboxError(f"cannot start the sandbox worker {sys.executable}: {exc}") from exc
            finally:
                for fd in (command_read, reply_write, progress_fd, *inherited):
                    os.close(fd)
        os.set_blocking(self.command_fd, False)
        os.set_blocking(self.reply_fd, False)
        self.pid = self.proc.pid
        self._buffer = bytearray()
        self._reaped = False
        self._eof = False
        self._output: str | None = None
        self._status = {"reaped": False}  # shared with the finalizer, which must not hold self
        self._finalizer = weakref.finalize(self, _Process._cleanup, self.pid, self.tmp, self._status)

    # -- messages -----------------------------------------------------------------------------
    def send(self, command: str, payload: Any, deadline: float, reason: str) -> None:
        data = pickle.dumps((command, payload), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(REQUEST.pack(len(data)) + data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.fail("timeout", reason, final=True)
            _, writable, _ = select.select([], [self.command_fd], [], min(_POLL_SECONDS, remaining))
            if self._exited():
                self._died()
            if writable:
                try:
                    view = view[os.write(self.command_fd, view[: 1 << 20]):]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    self._died()

    def receive(self, deadline: float, reason: str, *, stall: float | None = None) -> tuple[dict[str, Any], bytes]:
        """The next message, or `_WorkerDied` (death, deadline, no progress for `stall` s, bad frame)."""
        seen, moved = self.progress[0], time.monotonic()
        while True:
            frame = self._parse()
            if frame is not None:
                return frame
            now = time.monotonic()
            if stall is not None:
                counter = self.progress[0]
                if counter != seen:
                    seen, moved = counter, now
                elif now - moved > stall:
                    self.fail("timeout", f"a step made no progress for {stall:.3g} s (limit "
                                         f"{self.limits.step_timeout:g} s per step, not interruptible); worker killed")
            if now > deadline:
                self.fail("timeout", reason, final=True)
            if self._eof:  # nothing more can come: wait for the exit, or give up at the deadlines
                time.sleep(_POLL_SECONDS)
                readable = []
            else:
                readable, _, _ = select.select([self.reply_fd], [], [], _POLL_SECONDS)
            if readable and self._read():
                moved = time.monotonic()
            elif self._exited():
                while not self._eof and self._read():  # whatever it sent before dying
                    pass
                frame = self._parse()
                if frame is not None:
                    return frame
                self._died()

    def _read(self) -> bool:
        try:
            data = os.read(self.reply_fd, 1 << 20)
        except BlockingIOError:
            return False
        self._buffer += data
        self._eof = self._eof or not data
        return bool(data)

    def _parse(self) -> tuple[dict[str, Any], bytes] | None:
        if len(self._buffer) < REPLY.size:
            return None
        head_size, payload_size = REPLY.unpack_from(self._buffer)
        if head_size > _MAX_HEADER_BYTES or payload_size > _MAX_PAYLOAD_BYTES:
            self.violation(f"a message of {head_size} + {payload_size} bytes")
        end = REPLY.size + head_size + payload_size
        if len(self._buffer) < end:
            return None
        try:
            header = json.loads(bytes(self._buffer[REPLY.size : REPLY.size + head_size]))
        except (UnicodeDecodeError, ValueError, RecursionError):
            self.violation("a header that is not JSON")
        if not isinstance(header, dict):
            self.violation("a header that is not a JSON object")
        payload = bytes(self._buffer[REPLY.size + head_size : end])
        del self._buffer[:end]
        return header, payload

    def position(self) -> int | None:
        """The item the worker was running (as it last wrote it), if any."""
        position = self.progress[1]
        return position if position >= 0 else None

    # -- death --------------------------------------------------------------------------------
    def violation(self, what: str) -> None:
        self.fail("crash", f"the worker sent a malformed message ({what}); worker killed")

    def fail(self, category: str, message: str, *, final: bool = False) -> None:
        """Kill the worker because of `message` and raise `_WorkerDied` with it.

        `final`: a deadline of the whole call or evaluation passed; restarting would not help.
        """
        position = self.position()
        self.kill()
        raise _WorkerDied(Failure(category, message), position, final)

    def _died(self) -> None:
        """The worker exited on its own: find out why from its exit status and CPU time."""
        position = self.position()
        code, cpu = self.kill()
        raise _WorkerDied(self._death_failure(code, cpu), position)

    def _death_failure(self, code: int, cpu: float) -> Failure:
        limits = self.limits
        if self.in_bubblewrap and code > 128:  # bwrap exits with 128 + the signal that killed the worker
            code = 128 - code
        if code == EXIT_MEMORY:
            return Failure("memory", f"the worker ran out of its {limits.memory_mb} MB memory limit")
        if code >= 0:
            return Failure("crash", f"the worker exited with status {code} during the call (os._exit in the submission?)")
        sig = -code
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= limits.cpu_seconds - 0.5):
            return Failure("timeout", f"the worker used up its CPU time limit of {limits.cpu_seconds} s")
        if sig == signal.SIGKILL:
            return Failure("memory", "the worker was killed by SIGKILL, not by the harness (the out-of-memory killer?)")
        return Failure("crash", f"the worker died from {name}" + (" (segmentation fault)" if sig == signal.SIGSEGV else ""))

    def _exited(self) -> bool:
        if self._reaped:
            return True
        try:  # WNOWAIT: leave the zombie, so that its process group id cannot be reused before kill()
            return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def kill(self) -> tuple[int, float]:
        """Terminate, then kill the worker's whole process group; reap it. -> (exit code, CPU seconds)."""
        if self._reaped:
            return self.proc.returncode, 0.0
        if not self._exited():
            _signal_group(self.pid, signal.SIGTERM)
            end = time.monotonic() + _KILL_GRACE_SECONDS
            while time.monotonic() < end and not self._exited():
                time.sleep(0.01)
        _signal_group(self.pid, signal.SIGKILL)  # also whatever the submission forked
        _, status, usage = os.wait4(self.pid, 0)
        self._reaped = self._status["reaped"] = True
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        return self.proc.returncode, usage.ru_utime + usage.ru_stime

    def close(self) -> str:
        """Ask the worker to exit, make sure it and its group are gone, delete its directory.

        Returns the submission's captured output.
        """
        if not self._reaped:
            try:
                self.send("close", None, time.monotonic() + 1.0, "close")
                self.receive(time.monotonic() + 1.0, "close")
            except _WorkerDied:
                pass
            self.kill()
        output = self.read_output()
        for fd in (self.command_fd, self.reply_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.progress.release()
        self._map.close()
        self._finalizer()
        return output

    def read_output(self) -> str:
        if self._output is None:
            try:
                with open(self.output_path, "rb") as f:
                    data = f.read(self.limits.output_bytes + 100)
            except OSError:
                data = b""
            text = data.decode("utf-8", "replace")
            if self._reaped:
                self._output = text
            return text
        return self._output

    @staticmethod
    def _cleanup(pid: int, tmp: str, status: dict[str, bool]) -> None:
        """Also the last resort (garbage collection, interpreter exit): kill the group, delete the directory."""
        if not status["reaped"]:
            status["reaped"] = True
            _signal_group(pid, signal.SIGKILL)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        shutil.rmtree(tmp, onerror=_force_remove)


@functools.lru_cache(maxsize=None)
def _warn_fallback(reason: str) -> None:
    """Once per reason and process: the worker runs without the filesystem and namespace isolation."""
    warnings.warn(f"CWMB sandbox: {reason}; world models run with rlimits only: they can read what this user "
                  "can read and use the network (results record isolation level 'rlimits', which the leaderboard "
                  "refuses)", RuntimeWarning, stacklevel=3)


def _enlarge_pipe(fd: int) -> None:
    """Ask for a 1 MB pipe buffer (Linux), so that a batch crosses in a few writes, not dozens."""
    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except OSError:
        pass  # above /proc/sys/fs/pipe-max-size: keep the default


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _force_remove(function: Any, path: str, exc_info: Any) -> None:
    """rmtree helper: the submission may have left read-only files or directories behind."""
    try:
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass
