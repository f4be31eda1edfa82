"""Resource limits of a sandbox worker, and the code that applies them inside the child.

`Limits` is built by the parent (`cwmb.sandbox.client`) and sent to the child in its first message;
the child (`cwmb.sandbox.worker`) calls `apply_in_child` before it reads the submission. Time limits
are enforced twice: by the child (a per-step timer that raises inside `step`, and RLIMIT_CPU) and by
the parent (a wall-clock deadline per call and per evaluation, then terminate, then kill), because
code in the child can ignore or disable anything the child sets up for itself.

Filesystem and namespaces come from bubblewrap (`cwmb.sandbox.bubblewrap`), set up before this
code runs; what is left here are rlimits, the drop to user `nobody` when the worker starts as root,
and dying with the harness.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Everything a sandbox worker may use; frozen so that a protocol can hold it."""

    memory_mb: int = 2048
    """Address space of the worker (RLIMIT_AS); bigger allocations raise MemoryError."""
    cpu_seconds: int = 4 * 3600
    """CPU time of one worker process over its whole life (RLIMIT_CPU): SIGXCPU, then SIGKILL 2 s later.
    A backstop behind the wall-clock limits below."""
    file_size_mb: int = 16
    """Largest file the worker may write (RLIMIT_FSIZE); also bounds its captured stdout/stderr file."""
    max_processes: int = 32
    """RLIMIT_NPROC. The kernel counts all processes of the worker's user, and ignores it for root:
    it takes effect when the harness runs as a normal user or when `drop_privileges` applies."""
    step_timeout: float = 2.0
    """Wall-clock seconds one `set_state` + `step` may take (one rollout step, for `rollout_returns`)."""
    load_timeout: float = 60.0
    """Seconds to start the worker, import the submission and run `Environment()`."""
    evaluation_timeout: float = 4 * 3600.0
    """Wall-clock seconds of worker time for one `SandboxedWorldModel` (every call together)."""
    max_restarts: int = 3
    """Workers restarted after a death before the remaining transitions are all marked failed."""
    output_bytes: int = 64 * 1024
    """Bytes of the submission's stdout/stderr kept (the rest is counted and dropped)."""
    drop_privileges: bool = True
    """When the harness runs as root: the worker becomes user `nobody` before reading the submission."""
    bubblewrap: bool = True
    """Run the worker under bubblewrap when it works here (False: the rlimits-only fallback, for tests)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------------------------------------
# Child side. Everything below runs in the worker process, before the submission is read.

NOBODY = 65534

_PR_SET_PDEATHSIG, _PR_SET_KEEPCAPS, _PR_SET_NO_NEW_PRIVS = 1, 8, 38
_CAP_DAC_READ_SEARCH = 2
_CAPABILITY_VERSION_3 = 0x20080522


def apply_in_child(limits: Limits, *, in_bubblewrap: bool, harness_pid: int) -> dict[str, Any]:
    """Limit the current process; returns what it did (informative: the parent records the level).

    Rlimits are set while we may still raise them, privileges go after them, and the parent-death
    signal last (a change of user clears it). Stdin, cwd, environment and the process group are set
    by the parent; namespaces and the filesystem by bubblewrap.
    """
    _set_rlimits(limits)
    report: dict[str, Any] = {"rlimits": ["AS", "CPU", "FSIZE", "NPROC", "CORE"], "user": os.getuid()}
    if os.geteuid() == 0 and limits.drop_privileges:
        # Under bubblewrap every file the worker needs is bound world-readable; without it the
        # interpreter may live under /root, so reading (only) stays allowed.
        _drop_to_nobody(keep_read_search=not in_bubblewrap)
        report["user"] = os.getuid()
    # The kernel ignores RLIMIT_NPROC for root (real uid 0 or CAP_SYS_RESOURCE / CAP_SYS_ADMIN).
    report["nproc_enforced"] = os.getuid() != 0
    if not in_bubblewrap:  # bubblewrap's --die-with-parent does this (and hides the harness's pid)
        _die_with(harness_pid)
    return report


def _set_rlimits(limits: Limits) -> None:
    mb = 1024 * 1024
    # Soft = hard, so that the submission cannot raise them again.
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # SIGXCPU at the soft limit (the parent reports it as a timeout), SIGKILL at the hard one.
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 2))


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_to_nobody(*, keep_read_search: bool) -> None:
    """Become uid/gid `nobody` and forbid regaining privileges.

    Everything root allows goes: writing outside world-writable places, signalling the harness,
    reading /proc of the harness, and the exemption from RLIMIT_NPROC. With `keep_read_search`,
    CAP_DAC_READ_SEARCH stays (files readable: the interpreter may live under /root). `no_new_privs`
    makes setuid binaries and file capabilities inert for anything the submission executes.
    """
    libc = _libc()
    if keep_read_search:
        _check(libc.prctl(_PR_SET_KEEPCAPS, 1, 0, 0, 0), "keep capabilities")
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)
    if keep_read_search:
        data = (_CapData * 2)()
        data[0].effective = data[0].permitted = 1 << _CAP_DAC_READ_SEARCH
        _check(libc.capset(ctypes.byref(_CapHeader(_CAPABILITY_VERSION_3, 0)), data), "capset")
    _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _die_with(harness_pid: int) -> None:
    """SIGKILL this process when the harness dies."""
    _check(_libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "parent-death signal")
    if os.getppid() != harness_pid:  # the harness died before the signal was armed
        os._exit(1)
