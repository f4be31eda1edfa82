"""Resource limits of a sandbox worker, and the code that applies them inside the child.

`Limits` is built by the parent (`cwmb.sandbox.client`) and sent to the child in its first message;
the child (`cwmb.sandbox.worker`) calls `apply_in_child` before it reads the submission. Time limits
are enforced twice: by the child (a per-step timer that raises inside `step`, and RLIMIT_CPU) and by
the parent (a wall-clock deadline per call and per evaluation, then terminate, then kill), because
code in the child can ignore or disable anything the child sets up for itself.

Kernel isolation (namespaces, a non-root user) needs root; the functions here try it only then and
report what they achieved, so the parent can record it with the results.
"""

from __future__ import annotations

import ctypes
import os
import resource
from dataclasses import asdict, dataclass, field
from pathlib import Path
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
    """When the harness runs as root: new network and mount namespaces, then user `nobody`."""
    hidden_paths: tuple[str, ...] = field(default_factory=tuple)
    """Directories hidden from the worker besides the project's data (needs `drop_privileges` as root)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def protected_paths(extra: tuple[str, ...] = ()) -> list[str]:
    """Existing directories that hold dataset files: hidden from workers whenever the kernel allows.

    The packaged dataset (`cwmb/data`), a source checkout's `build_cache`, the authors' reference
    data in `../shared`, the Hugging Face cache, and `extra`.
    """
    package = Path(__file__).resolve().parents[1]
    repo = package.parent
    hf_home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    candidates = [
        package / "data",
        repo / "build_cache",
        repo.parent / "shared" / "reference_cwmb",
        hf_home,
        *(Path(p) for p in (os.environ.get("HF_DATASETS_CACHE"), os.environ.get("HF_HUB_CACHE")) if p),
        *(Path(p) for p in extra),
    ]
    seen: list[str] = []
    for path in candidates:
        path = path.resolve()
        if path.is_dir() and str(path) not in seen:
            seen.append(str(path))
    return seen


# ------------------------------------------------------------------------------------------------
# Child side. Everything below runs in the worker process, before the submission is read.

NOBODY = 65534

_CLONE_NEWNS, _CLONE_NEWNET = 0x00020000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 1, 2, 4, 8, 1 << 14, 1 << 18
_PR_SET_KEEPCAPS, _PR_SET_NO_NEW_PRIVS = 8, 38
_CAP_DAC_READ_SEARCH = 2
_CAPABILITY_VERSION_3 = 0x20080522


def apply_in_child(limits: Limits, hidden: list[str]) -> dict[str, Any]:
    """Isolate the current process as far as this machine allows; returns what was achieved.

    Order matters: namespaces need root, rlimits are set while we may still raise them, and
    privileges go last. Stdin, cwd, environment and the process group are set by the parent.
    """
    report: dict[str, Any] = {"network_namespace": False, "hidden_paths": 0, "user": os.getuid()}
    if os.geteuid() == 0 and limits.drop_privileges:
        report.update(_enter_namespaces(hidden))
    _set_rlimits(limits)
    report["rlimits"] = ["AS", "CPU", "FSIZE", "NPROC", "CORE"]
    if os.geteuid() == 0 and limits.drop_privileges:
        _drop_to_nobody()
        report["user"] = os.getuid()
    # The kernel ignores RLIMIT_NPROC for root (real uid 0 or CAP_SYS_RESOURCE / CAP_SYS_ADMIN).
    report["nproc_enforced"] = os.getuid() != 0
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


def _enter_namespaces(hidden: list[str]) -> dict[str, Any]:
    """New network namespace (only a down loopback) and mount namespace with `hidden` covered.

    Each `hidden` directory gets an empty read-only tmpfs mounted over it, in this process's
    private mount namespace only: the parent and every other process still see the real files.
    """
    libc = _libc()
    try:
        _check(libc.unshare(_CLONE_NEWNET | _CLONE_NEWNS), "unshare")
    except OSError:
        return {}
    # Without private propagation a mount here would show up in the parent's namespace: stop then.
    try:
        _check(libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "make mounts private")
    except OSError:
        return {"network_namespace": True}
    covered = 0
    flags = _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    for path in hidden:
        try:
            _check(libc.mount(b"tmpfs", os.fsencode(path), b"tmpfs", flags, b"size=4k,mode=555"), "mount")
            covered += 1
        except OSError:
            pass
    return {"network_namespace": True, "hidden_paths": covered}


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_to_nobody() -> None:
    """Become uid/gid `nobody`, keeping only CAP_DAC_READ_SEARCH, and forbid regaining privileges.

    CAP_DAC_READ_SEARCH keeps files readable (the interpreter may live under /root); everything
    else that root allows goes: writing outside world-writable places, signalling the harness,
    reading /proc of the harness, and the exemption from RLIMIT_NPROC. `no_new_privs` makes setuid
    binaries and file capabilities inert for anything the submission executes.
    """
    libc = _libc()
    _check(libc.prctl(_PR_SET_KEEPCAPS, 1, 0, 0, 0), "keep capabilities")
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)
    data = (_CapData * 2)()
    data[0].effective = data[0].permitted = 1 << _CAP_DAC_READ_SEARCH
    _check(libc.capset(ctypes.byref(_CapHeader(_CAPABILITY_VERSION_3, 0)), data), "capset")
    _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
