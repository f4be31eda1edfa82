"""Child side of the sandbox: one long-lived process that loads one submission and answers commands.

Started by `cwmb.sandbox.client` with ``CMD_FD REPLY_FD PROGRESS_FD`` as arguments: under bubblewrap
(`cwmb.sandbox.bubblewrap`) as ``python -I -S -B -c "...main(sys.argv)"``, else as ``python -I -B
-m cwmb.sandbox.worker`` in a fresh temporary directory; stdin on /dev/null, stdout/stderr to a
file, a scrubbed environment and its own process group. The submission's path is never given: its source text
arrives over the pipe, and the only data it ever sees are the (state, action) pairs of the commands.

Protocol. Like Gymnasium's `_async_worker`, a command loop that answers every command.

- parent -> child: ``[u32 length][pickle of (command, payload)]``, plain data only (str, int,
  float, list, tuple, dict, numpy arrays). The parent is trusted, so the child unpickles.
- child -> parent: ``[u32 header length][u32 payload length][JSON header][raw payload]``. The
  header is ``{"status": "ok" | "error" | "chunk", ...}``; the payload is raw little-endian numbers
  whose layout the header declares. The parent never unpickles anything from the child: code in
  the child could forge any message, so the parent decodes JSON and `numpy.frombuffer` only and
  validates every field (`client._decode_*`).

Commands and replies (every error is ``{"status": "error", "category", "message", "traceback"}``):

``setup {limits, bubblewrap, harness_pid}``
    Limit this process (`limits.apply_in_child`), block sockets, refuse simulator imports.
    -> ``ok {isolation}``. Always the first command.
``load {source, filename}``
    Check the source with `ast`, seed Python's and numpy's global generators with
    `SUBMISSION_SEED`, execute it, create ``Environment()`` once. -> ``ok`` or error
    with a load category (syntax_error, forbidden_import, import_error, missing_class, exception,
    memory, timeout).
``predict {states, actions, set_state, shape}``
    For each pair: ``env.set_state(state)`` (unless `set_state` is false: continue from the
    model's own state) then ``env.step(action)``, reusing the one Environment. Streams
    ``chunk {start, count, width, errors}`` messages with payload ``next_states (count x width
    float64) | rewards (count float64) | done (count uint8)``; failed rows are zeros and listed in
    ``errors`` as ``[position, category, message, traceback]``. The last chunk has status ``ok``.
``rollouts {state, actions}``
    For each action sequence: ``set_state(state)``, step until done, sum rewards. Streams
    ``chunk {start, count, errors}`` with payload ``returns (count float64)``; the last one is ``ok``.
``play {state, actions, keep, shape}``
    One playout for MCTS: ``set_state(state)``, step through `actions` until done. -> ``ok {steps,
    terminated, kept, errors}`` with payload ``rewards (steps float64) | state after `keep` steps
    (if kept) | last state`` (states as float64, no states when the playout failed).
``trajectories {states, actions, shape}``
    Open-loop rollouts for the graded metrics: for each state, ``set_state(state)`` once, then
    ``step`` through its action sequence on the model's own predictions until done. Streams
    ``chunk {start, count, width, steps, errors}`` (`steps`: steps taken per rollout) with payload
    ``next_states (sum(steps) x width float64) | rewards (sum(steps) float64) | ended by done
    (count uint8)``; a failed rollout takes 0 steps and is listed in ``errors``. Last chunk ``ok``.
``close`` -> ``ok``, then the process exits without running the submission's atexit hooks.

An unknown command gets an error listing the valid ones. Before each transition (or rollout
step) the child writes ``[step counter, position]`` into a shared 16-byte memory block: the parent
reads it to see progress, to enforce its own deadline, and to know which transition was running
when the process died.

Per-transition time limit: a periodic SIGALRM checks that the step counter moves; after
`step_timeout` without progress it raises `StepTimeout` inside the running step, which is then
scored "timeout" and the batch goes on. A step that ignores it (catches BaseException, blocks
SIGALRM, loops in C) is killed by the parent instead.
"""

from __future__ import annotations

import ast
import errno
import json
import linecache
import mmap
import numbers
import os
import pickle
import random
import signal
import struct
import sys
import traceback
import types
from typing import Any

import numpy as np

#: The failure categories, as recorded in results (see `cwmb.errors.FAILURE_CATEGORIES`).
CATEGORIES = ("syntax_error", "import_error", "missing_class", "exception", "timeout", "memory", "crash",
              "bad_output", "forbidden_import")

#: Seed of `random` and `numpy.random` before a submission runs: a model that draws unseeded random
#: numbers (small LLMs write ``np.random.uniform`` in ``__init__``) scores the same on every check,
#: so evaluations and solver searches replay. (String hashing stays randomised: ``python -I``
#: ignores PYTHONHASHSEED.)
SUBMISSION_SEED = 0

#: Top-level modules a submission may not import: real simulators, and the harness with its data.
FORBIDDEN_MODULES = frozenset({
    "gymnasium", "gym", "gymnasium_robotics", "shimmy", "ale_py", "mujoco", "mujoco_py", "dm_control",
    "Box2D", "box2d", "pybullet", "pybullet_envs", "pybullet_data", "cwmb",
})

COMMANDS = ("setup", "load", "predict", "rollouts", "play", "trajectories", "close")
REQUEST = struct.Struct("!I")
REPLY = struct.Struct("!II")
EXIT_MEMORY = 86  # exit status when even the error report ran out of memory

_MAX_MESSAGE = 2000
_MAX_TRACEBACK = 6000
_CHUNK_ROWS = 1024  # rows per chunk: small enough that the parent decodes while the child computes
_CHUNK_BYTES = 1 << 20  # and at most about this much next-state data
_TICKS_PER_TIMEOUT = 4


class StepTimeout(BaseException):
    """Raised inside a submission's step by the watchdog; BaseException so `except Exception` misses it."""


class _BadOutput(Exception):
    """A step returned something that is not (next_state, reward, done) of the right types."""


class _ForbiddenImportError(ImportError):
    """Raised by the import hook for `FORBIDDEN_MODULES`."""


# ------------------------------------------------------------------------------------------------
# Wire format

class _Channel:
    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd, self.write_fd = read_fd, write_fd

    def receive(self) -> tuple[str, Any]:
        (length,) = REQUEST.unpack(self._read_exactly(REQUEST.size))
        return pickle.loads(self._read_exactly(length))

    def send(self, header: dict[str, Any], payload: bytes = b"") -> None:
        head = json.dumps(header).encode()
        data = memoryview(REPLY.pack(len(head), len(payload)) + head + payload)
        while data:
            data = data[os.write(self.write_fd, data):]

    def error(self, category: str, message: str, tb: str = "") -> None:
        self.send({"status": "error", "category": category, "message": message[:_MAX_MESSAGE],
                   "traceback": tb[-_MAX_TRACEBACK:]})

    def _read_exactly(self, n: int) -> bytes:
        parts, left = [], n
        while left:
            part = os.read(self.read_fd, min(left, 1 << 20))
            if not part:
                raise EOFError("the harness closed the command pipe")
            parts.append(part)
            left -= len(part)
        return b"".join(parts)


# ------------------------------------------------------------------------------------------------
# Guards installed before the submission runs

class _ForbiddenFinder:
    """First entry of `sys.meta_path`: refuses `FORBIDDEN_MODULES`, however they are imported."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        top = name.partition(".")[0]
        if top in FORBIDDEN_MODULES:
            raise _ForbiddenImportError(_forbidden_message(top), name=name)
        return None


def _forbidden_message(module: str) -> str:
    if module == "cwmb":
        return "importing 'cwmb' (the harness and its dataset) is not allowed in a submission"
    return (f"importing {module!r} is not allowed: a code world model must implement the dynamics itself, "
            "not call the real simulator")


def _refuse_network(*args: Any, **kwargs: Any) -> Any:
    raise PermissionError(errno.EACCES, "network access is disabled in the CWMB sandbox")


def _block_network() -> None:
    """Replace every way the `socket` module creates or resolves sockets with a refusal."""
    import _socket
    import socket

    class _NoSocket(socket.socket):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            _refuse_network()

    names = ("socketpair", "fromfd", "create_connection", "create_server", "getaddrinfo", "gethostbyname",
             "gethostbyname_ex", "gethostbyaddr", "getnameinfo")
    for module in (socket, _socket):
        for name in names:
            if hasattr(module, name):
                setattr(module, name, _refuse_network)
        module.socket = _NoSocket
        module.SocketType = _NoSocket


def _hide_harness() -> None:
    """Unload the harness package and drop its checkout from `sys.path`; the hook refuses it again."""
    import cwmb

    root = os.path.dirname(os.path.dirname(os.path.abspath(cwmb.__file__)))
    for name in [m for m in sys.modules if m == "cwmb" or m.startswith("cwmb.")]:
        del sys.modules[name]
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != root]
    sys.meta_path.insert(0, _ForbiddenFinder())


class _BoundedOutput:
    """Stands in for sys.stdout and sys.stderr: keeps the first `limit` bytes, drops the rest."""

    def __init__(self, fd: int, limit: int):
        self.fd, self.left = fd, limit
        self.encoding, self.errors = "utf-8", "replace"

    def write(self, text: str) -> int:
        if self.left > 0:
            data = str(text).encode("utf-8", "replace")[: self.left]
            self.left -= len(data)
            if self.left <= 0:
                data += b"\n[cwmb: output truncated]\n"
            try:
                os.write(self.fd, data)
            except OSError:
                self.left = 0
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd


class _Watchdog:
    """Periodic SIGALRM that raises `StepTimeout` when the step counter stops moving."""

    def __init__(self, progress: memoryview, step_timeout: float):
        self.progress = progress
        self.tick = step_timeout / _TICKS_PER_TIMEOUT
        self.step_timeout = step_timeout
        self.armed = False
        self._last, self._idle = -1, 0
        signal.signal(signal.SIGALRM, self._on_tick)

    def start(self) -> None:
        self._last, self._idle, self.armed = self.progress[0], 0, True
        signal.setitimer(signal.ITIMER_REAL, self.tick, self.tick)

    def stop(self) -> None:
        self.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)

    def _on_tick(self, signum: int, frame: Any) -> None:
        if not self.armed:
            return
        counter = self.progress[0]
        if counter != self._last:
            self._last, self._idle = counter, 0
            return
        self._idle += 1
        if self._idle >= _TICKS_PER_TIMEOUT:
            self._idle = 0
            raise StepTimeout(f"step took longer than {self.step_timeout:g} s")


# ------------------------------------------------------------------------------------------------
# Describing failures: category, one-line message, traceback cut down to the submission's frames

def _failure(exc: BaseException, filename: str) -> tuple[str, str, str]:
    if isinstance(exc, StepTimeout):
        category = "timeout"
    elif isinstance(exc, MemoryError):
        category = "memory"
    elif isinstance(exc, _BadOutput):
        category = "bad_output"
    elif isinstance(exc, _ForbiddenImportError):
        category = "forbidden_import"
    else:
        category = "exception"
    try:
        detail = str(exc)
    except BaseException:  # a hostile __str__
        detail = ""
    if isinstance(exc, (StepTimeout, _BadOutput)):  # our own messages: no class name
        text = detail
    else:
        text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    if frames:
        text += f" (line {frames[-1].lineno}: {(frames[-1].line or '').strip()})"
    try:
        tail = "".join(traceback.format_exception_only(type(exc), exc))
    except BaseException:
        tail = type(exc).__name__ + "\n"
    tb = "".join(traceback.format_list(frames)) + tail if frames else tail
    return category, text[:_MAX_MESSAGE], tb[-_MAX_TRACEBACK:]


def _forbidden_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import of a forbidden module, static or via __import__/import_module."""
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and getattr(node.func, "id", getattr(node.func, "attr", None)) in ("__import__", "import_module")):
            names = [node.args[0].value]
        found += [(node.lineno, n.partition(".")[0]) for n in names if n.partition(".")[0] in FORBIDDEN_MODULES]
    return found


# ------------------------------------------------------------------------------------------------
# Checking what a step returned (the parent validates the numbers again)

def _as_state(value: Any, shape: tuple[int, ...] | None) -> np.ndarray:
    array = value if type(value) is np.ndarray else np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise _BadOutput(f"next_state must be numbers, got {type(value).__name__} (dtype {array.dtype})")
    if shape is not None and array.shape != shape:
        raise _BadOutput(f"next_state has shape {array.shape}, expected {shape} like the input state")
    return array


def _as_reward(value: Any) -> float:
    if type(value) is float or isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "biuf":
        return float(value.reshape(()))
    raise _BadOutput(f"reward must be a real number, got {type(value).__name__}")


def _as_done(value: Any) -> bool:
    if value is True or value is False:
        return value
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(())[()]
    if isinstance(value, (np.bool_, numbers.Integral)) and value in (0, 1):
        return bool(value)
    raise _BadOutput(f"done must be a bool, got {type(value).__name__} {str(value)[:50]!r}")


def _stack(rows: list[Any], dtype: Any, width: int) -> np.ndarray:
    """Next states of one chunk as float64 (len(rows) x width): bytes of `dtype`, arrays, or None (failed)."""
    if dtype is not None and all(type(row) is bytes for row in rows):
        return np.frombuffer(b"".join(rows), dtype).reshape(len(rows), width).astype(np.float64)
    out = np.zeros((len(rows), width))
    for k, row in enumerate(rows):
        if row is not None:
            out[k] = np.frombuffer(row, dtype) if type(row) is bytes else row.reshape(-1)
    return out


def _unpack(result: Any) -> tuple[Any, Any, Any]:
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        kind = f"a {type(result).__name__} of length {len(result)}" if isinstance(result, (tuple, list)) else type(result).__name__
        raise _BadOutput(f"step must return (next_state, reward, done), got {kind}")
    return result[0], result[1], result[2]


# ------------------------------------------------------------------------------------------------
# The worker

class _Worker:
    def __init__(self, channel: _Channel, progress: memoryview):
        self.channel, self.progress = channel, progress
        self.env: Any = None
        self.filename = "<submission>"
        self.watchdog: _Watchdog | None = None
        self.handlers = {"setup": self.setup, "load": self.load, "predict": self.predict,
                         "rollouts": self.rollouts, "play": self.play, "trajectories": self.trajectories,
                         "close": self.close}

    # -- commands ----------------------------------------------------------------------------
    def setup(self, payload: dict[str, Any]) -> None:
        from cwmb.sandbox.limits import Limits, apply_in_child

        limits = Limits(**payload["limits"])
        # Writes past RLIMIT_FSIZE fail with EFBIG instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        isolation = apply_in_child(limits, in_bubblewrap=payload["bubblewrap"], harness_pid=payload["harness_pid"])
        _block_network()
        _hide_harness()
        sys.stdin = open(os.devnull)
        sys.stdout = sys.stderr = _BoundedOutput(1, limits.output_bytes)
        self.watchdog = _Watchdog(self.progress, limits.step_timeout)
        self.channel.send({"status": "ok", "isolation": isolation})

    def load(self, payload: dict[str, Any]) -> None:
        source, self.filename = payload["source"], payload["filename"]
        try:
            tree = ast.parse(source, self.filename)
        except SyntaxError as exc:
            line = (exc.text or "").strip()
            message = f"line {exc.lineno}: {exc.msg}" + (f": {line}" if line else "")
            return self.channel.error("syntax_error", message, "".join(traceback.format_exception_only(type(exc), exc)))
        except (ValueError, MemoryError, RecursionError) as exc:
            return self.channel.error("syntax_error", f"cannot parse the source: {type(exc).__name__}: {exc}")
        forbidden = _forbidden_imports(tree)
        if forbidden:
            line, module = forbidden[0]
            return self.channel.error("forbidden_import", f"line {line}: {_forbidden_message(module)}")
        linecache.cache[self.filename] = (len(source), None, source.splitlines(True), self.filename)
        random.seed(SUBMISSION_SEED)
        np.random.seed(SUBMISSION_SEED)
        module = types.ModuleType("submission")
        module.__file__ = self.filename
        sys.modules["submission"] = module
        try:
            exec(compile(tree, self.filename, "exec"), module.__dict__)
        except ImportError as exc:
            if isinstance(exc, _ForbiddenImportError):
                return self.channel.error(*_failure(exc, self.filename))
            return self.channel.error("import_error", *_failure(exc, self.filename)[1:])
        except BaseException as exc:
            return self.channel.error(*_failure(exc, self.filename))
        cls = module.__dict__.get("Environment")
        if not isinstance(cls, type):
            what = "no name 'Environment'" if cls is None else f"'Environment' is a {type(cls).__name__}"
            return self.channel.error("missing_class", f"the submission must define class Environment; found {what}")
        missing = [m for m in ("set_state", "step") if not callable(getattr(cls, m, None))]
        if missing:
            return self.channel.error("missing_class", f"class Environment has no method {', '.join(missing)}")
        try:
            self.env = cls()
        except BaseException as exc:
            category, message, tb = _failure(exc, self.filename)
            return self.channel.error(category, "Environment() failed: " + message, tb)
        self.channel.send({"status": "ok"})

    def predict(self, payload: dict[str, Any]) -> None:
        env, progress, watchdog, filename = self.env, self.progress, self.watchdog, self.filename
        states, actions, set_state = payload["states"], payload["actions"], payload["set_state"]
        shape = tuple(payload["shape"])
        width = int(np.prod(shape, dtype=np.int64))
        n = len(actions)
        if isinstance(states, np.ndarray):
            states = list(states)  # one view per row, made in C
        chunk = max(1, min(n, _CHUNK_ROWS, _CHUNK_BYTES // (8 * max(width, 1))))
        counter = progress[0]
        ndarray = np.ndarray
        if n == 0:
            return self.channel.send({"status": "ok", "start": 0, "count": 0, "width": width, "errors": []})
        watchdog.start()
        # The hot path. A next state is copied as bytes of its own dtype at once (the model may
        # mutate it later); the helpers run only when a plain check fails.
        for start in range(0, n, chunk):
            size = min(chunk, n - start)
            rows: list[Any] = [None] * size
            rewards, dones = [0.0] * size, [False] * size
            errors: list[list[Any]] = []
            dtype = None
            for k in range(size):
                i = start + k
                try:
                    progress[1] = i
                    counter += 1
                    progress[0] = counter
                    if set_state:
                        env.set_state(states[i])
                    result = env.step(actions[i])
                    if type(result) is tuple and len(result) == 3:
                        state, reward, done = result
                    else:
                        state, reward, done = _unpack(result)
                    if type(state) is not ndarray or state.dtype is not dtype or state.shape != shape:
                        state = _as_state(state, shape)
                        dtype = dtype or state.dtype
                    if type(reward) is not float:
                        reward = _as_reward(reward)
                    if done is not True and done is not False:
                        done = _as_done(done)
                    rows[k] = state.tobytes() if state.dtype is dtype else state.astype(np.float64)
                    rewards[k], dones[k] = reward, done
                except BaseException as exc:
                    rows[k], rewards[k], dones[k] = None, 0.0, False
                    errors.append([i, *_failure(exc, filename)])
            last = start + size == n
            if last:
                watchdog.stop()
                progress[1] = -1
            watchdog.armed = False  # never interrupt a half-written message
            header = {"status": "ok" if last else "chunk", "start": start, "count": size, "width": width,
                      "errors": errors}
            self.channel.send(header, _stack(rows, dtype, width).tobytes()
                              + np.array(rewards, dtype=np.float64).tobytes() + np.array(dones, dtype=np.uint8).tobytes())
            watchdog.armed = not last

    def rollouts(self, payload: dict[str, Any]) -> None:
        env, progress, watchdog, filename = self.env, self.progress, self.watchdog, self.filename
        state, sequences = payload["state"], payload["actions"]
        fresh = (lambda: state.copy()) if isinstance(state, np.ndarray) else (lambda: state)
        n = len(sequences)
        if n == 0:
            return self.channel.send({"status": "ok", "start": 0, "count": 0, "errors": []})
        chunk = max(1, min(n, 256))
        returns = np.zeros(chunk)
        errors: list[list[Any]] = []
        start = 0
        watchdog.start()
        for i in range(n):
            j = i - start
            try:
                progress[1] = i
                progress[0] += 1
                env.set_state(fresh())
                total = 0.0
                for action in sequences[i]:
                    progress[0] += 1
                    _, reward, done = _unpack(env.step(action))
                    total += _as_reward(reward)
                    if _as_done(done):
                        break
                returns[j] = total
            except BaseException as exc:
                returns[j] = 0.0
                errors.append([i, *_failure(exc, filename)])
            if j + 1 == chunk or i + 1 == n:
                last = i + 1 == n
                if last:
                    watchdog.stop()
                    progress[1] = -1
                watchdog.armed = False
                header = {"status": "ok" if last else "chunk", "start": start, "count": j + 1, "errors": errors}
                self.channel.send(header, returns[: j + 1].tobytes())
                start, errors = i + 1, []
                watchdog.armed = not last

    def play(self, payload: dict[str, Any]) -> None:
        env, progress, watchdog = self.env, self.progress, self.watchdog
        state, actions, keep, shape = payload["state"], payload["actions"], payload["keep"], tuple(payload["shape"])
        width = int(np.prod(shape, dtype=np.int64))
        rewards: list[float] = []
        kept = last = None
        terminated = False
        errors: list[list[Any]] = []
        progress[1] = 0
        watchdog.start()
        try:
            progress[0] += 1
            env.set_state(state.copy() if isinstance(state, np.ndarray) else state)
            for t, action in enumerate(actions):
                progress[0] += 1
                next_state, reward, done = _unpack(env.step(action))
                last = _as_state(next_state, shape).astype(np.float64).reshape(width)  # a copy
                rewards.append(_as_reward(reward))
                terminated = _as_done(done)
                if t + 1 == keep:
                    kept = last
                if terminated:
                    break
        except BaseException as exc:
            errors.append([0, *_failure(exc, self.filename)])
        watchdog.stop()
        progress[1] = -1
        header = {"status": "ok", "start": 0, "count": 1, "width": width, "steps": len(rewards),
                  "terminated": terminated, "kept": kept is not None and not errors, "errors": errors}
        states = [s for s in (kept, last) if s is not None and not errors]
        self.channel.send(header, np.array(rewards, dtype=np.float64).tobytes() + b"".join(s.tobytes() for s in states))

    def trajectories(self, payload: dict[str, Any]) -> None:
        env, progress, watchdog, filename = self.env, self.progress, self.watchdog, self.filename
        states, sequences, shape = payload["states"], payload["actions"], tuple(payload["shape"])
        width = int(np.prod(shape, dtype=np.int64))
        n = len(sequences)
        start, rows, rewards, ended, steps, errors = 0, [], [], [], [], []
        if n == 0:
            return self.channel.send({"status": "ok", "start": 0, "count": 0, "width": width, "steps": [], "errors": []})
        watchdog.start()
        for i in range(n):
            taken, done = 0, False
            try:
                progress[1] = i
                progress[0] += 1
                state = states[i]
                env.set_state(state.copy() if isinstance(state, np.ndarray) else state)
                for action in sequences[i]:
                    progress[0] += 1
                    next_state, reward, done = _unpack(env.step(action))
                    row = _as_state(next_state, shape).astype(np.float64).reshape(width)  # a copy
                    reward, done = _as_reward(reward), _as_done(done)
                    rows.append(row)
                    rewards.append(reward)
                    taken += 1
                    if done:
                        break
            except BaseException as exc:
                del rows[len(rows) - taken:], rewards[len(rewards) - taken:]
                taken, done = 0, False
                errors.append([i, *_failure(exc, filename)])
            steps.append(taken)
            ended.append(done)
            if len(rows) >= _CHUNK_ROWS or i + 1 == n:
                last = i + 1 == n
                if last:
                    watchdog.stop()
                    progress[1] = -1
                watchdog.armed = False  # never interrupt a half-written message
                header = {"status": "ok" if last else "chunk", "start": start, "count": len(steps), "width": width,
                          "steps": steps, "errors": errors}
                block = np.array(rows, dtype=np.float64).reshape(len(rows), width)
                self.channel.send(header, block.tobytes() + np.array(rewards, dtype=np.float64).tobytes()
                                  + np.array(ended, dtype=np.uint8).tobytes())
                start, rows, rewards, ended, steps, errors = i + 1, [], [], [], [], []
                watchdog.armed = not last

    def close(self, payload: Any) -> None:
        self.channel.send({"status": "ok"})


def main(argv: list[str]) -> None:
    command_fd, reply_fd, progress_fd = (int(a) for a in argv[1:4])
    sys.argv[:] = ["cwmb-sandbox-worker"]  # argv[0] was this file's path
    channel = _Channel(command_fd, reply_fd)
    progress = memoryview(mmap.mmap(progress_fd, 16)).cast("q")
    worker = _Worker(channel, progress)
    while True:
        try:
            command, payload = channel.receive()
        except EOFError:
            break
        handler = worker.handlers.get(command)
        try:
            if handler is None:
                channel.error("crash", f"unknown command {command!r}; valid commands: {', '.join(COMMANDS)}")
            elif command != "setup" and worker.watchdog is None:
                channel.error("crash", "the first command must be 'setup'")
            else:
                handler(payload)
        except MemoryError:
            try:
                channel.error("memory", "the worker ran out of memory outside the submission's calls")
            except BaseException:
                os._exit(EXIT_MEMORY)
        except BaseException as exc:  # a bug here, or a submission that broke the worker's state
            channel.error("crash", f"worker failed in {command!r}: {type(exc).__name__}: {exc}",
                          traceback.format_exc())
        if command == "close":
            break
    # Skip interpreter shutdown: no atexit hooks or finalizers of the submission run.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
