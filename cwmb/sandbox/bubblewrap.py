"""The sandbox worker's filesystem and namespaces, by bubblewrap (`bwrap`): an allow-list.

`command(...)` wraps the worker's command line in `bwrap` so that the worker sees a filesystem made
only of read-only binds of what it needs:

- the interpreter, its shared library and its standard library (with the interpreter's own
  `site-packages` covered by an empty directory), and the system's shared libraries (`/usr/lib`,
  `/lib64`, with Python package folders in them covered the same way);
- numpy (the one third-party module a world model may import) at `/sandbox/site`;
- the worker's own code (`cwmb/__init__.py` and `cwmb/sandbox/`) at `/sandbox/harness`;

plus a private `/proc` (new PID namespace) and `/dev`, and size-capped tmpfs mounts for `/tmp`
(the working directory is `/tmp/work`) and `/dev/shm`. A seccomp filter refuses new user namespaces
(which would let the worker mount a tmpfs of any size; see `user_namespace_filter`). No home, no project, no dataset, no caches,
no `/work`, no `/etc` beyond the loader cache. New network, PID, IPC, UTS (and, where the kernel
allows, cgroup) namespaces; `--die-with-parent` (the worker dies with the harness) and
`--new-session`. Everything it writes lives in its own tmpfs and is gone when it exits.

As root, bwrap creates the namespaces directly and the worker drops to user `nobody` itself
(`limits.drop_privileges`), so RLIMIT_NPROC applies; as an ordinary user, bwrap uses an
unprivileged user namespace and forbids creating further ones (`--disable-userns`).

`probe()` says once per process whether bwrap runs here; where it cannot (not installed, user
namespaces disabled), the client falls back to rlimits only and records that level.
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
import struct
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy

TMP_BYTES = 48 << 20
"""Size of the worker's /tmp (its working directory included)."""
SHM_BYTES = 16 << 20
"""Size of the worker's /dev/shm. With /tmp: at most 64 MiB of files in all."""
WORKDIR = "/tmp/work"
SITE = "/sandbox/site"
HARNESS = "/sandbox/harness"
_LIBRARY_ROOTS = ("/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32")


@functools.lru_cache(maxsize=1)
def probe() -> str | None:
    """None when bubblewrap runs the worker's interpreter here, else why not (one line). Once per process."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    argv, inherited = _wrapped(f"{_PATHS}; import numpy, cwmb.sandbox.worker")
    try:
        completed = subprocess.run(argv, capture_output=True, timeout=60, text=True, stdin=subprocess.DEVNULL,
                                   pass_fds=inherited)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap failed to start: {exc}"
    finally:
        for fd in inherited:
            os.close(fd)
    if completed.returncode != 0:
        detail = (completed.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap cannot run the worker here ({detail[:200]}); are unprivileged user namespaces disabled?"
    return None


def command(worker_argv: list[str]) -> tuple[list[str], list[int]]:
    """(`bwrap [binds, namespaces, filter] -- <interpreter> -I -S -B -c <start the worker> <worker_argv>`,
    the file descriptors the command line names: pass them to the child, then close them)."""
    return _wrapped(f"{_PATHS}; from cwmb.sandbox.worker import main; main(sys.argv)", worker_argv)


_PATHS = f"import sys; sys.path[:0] = [{HARNESS!r}, {SITE!r}]"


def _wrapped(code: str, argv: list[str] = ()) -> tuple[list[str], list[int]]:
    inherited: list[int] = []
    program = user_namespace_filter()
    seccomp: list[str] = []
    if program is not None:
        fd = os.memfd_create("cwmb-seccomp")
        os.write(fd, program)
        os.lseek(fd, 0, os.SEEK_SET)
        inherited.append(fd)
        seccomp = ["--seccomp", str(fd)]
    args = [*_sandbox_args()[:-1], *seccomp, "--", os.path.realpath(sys.executable), "-I", "-S", "-B", "-c", code, *argv]
    return args, inherited


# ------------------------------------------------------------------------------------------------
# No user namespaces inside the sandbox. A user namespace of its own would give the worker the
# right to mount: a tmpfs of any size (measured: 200 MiB written past the 64 MiB cap, as root's
# `nobody`). As an ordinary user bwrap's --disable-userns forbids them; as root bwrap makes no
# user namespace, so a seccomp filter refuses unshare/clone with CLONE_NEWUSER (and clone3, whose
# flags it cannot read: ENOSYS, so libc falls back to clone) in both cases.

_CLONE_NEWUSER = 0x10000000
_ARCHITECTURES = {  # machine -> (AUDIT_ARCH_*, clone, unshare, clone3)
    "x86_64": (0xC000003E, 56, 272, 435),
    "aarch64": (0xC00000B7, 220, 97, 435),
}
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000
_EPERM, _ENOSYS = 1, 38


@functools.lru_cache(maxsize=1)
def user_namespace_filter() -> bytes | None:
    """The seccomp program (classic BPF, as bwrap --seccomp reads it), None on other machines."""
    machine = os.uname().machine
    if machine not in _ARCHITECTURES:
        return None
    arch, clone, unshare, clone3 = _ARCHITECTURES[machine]
    # (code, jump if true, jump if false, k); offsets into struct seccomp_data: nr 0, arch 4, args[0] 16.
    program = [
        (_LD_W_ABS, 0, 0, 4),
        (_JEQ, 1, 0, arch),             # another ABI (i386 on x86_64): refuse every call
        (_RET, 0, 0, _ERRNO | _EPERM),
        (_LD_W_ABS, 0, 0, 0),
        (_JGE, 0, 1, 0x40000000),       # x32 system calls
        (_RET, 0, 0, _ERRNO | _EPERM),
        (_JEQ, 0, 1, clone3),
        (_RET, 0, 0, _ERRNO | _ENOSYS),
        (_JEQ, 1, 0, clone),
        (_JEQ, 0, 3, unshare),
        (_LD_W_ABS, 0, 0, 16),          # the flags (low 32 bits of the first argument)
        (_JSET, 0, 1, _CLONE_NEWUSER),
        (_RET, 0, 0, _ERRNO | _EPERM),
        (_RET, 0, 0, _ALLOW),
    ]
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program)


@functools.lru_cache(maxsize=1)
def _sandbox_args() -> tuple[str, ...]:
    """Everything before the command: the same for every worker of this process."""
    binds = [*_python_binds(os.path.realpath(sys.executable)), *_module_binds()]
    return (*_namespace_args(), *_system_binds(), *_traversable_parents(binds), *binds,
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(TMP_BYTES), "--perms", "1777", "--tmpfs", "/tmp",
            "--perms", "0777", "--dir", WORKDIR,
            "--size", str(SHM_BYTES), "--perms", "1777", "--tmpfs", "/dev/shm",
            "--chdir", WORKDIR, "--")  # the command follows "--" (`_wrapped` puts the filter before it)


def _namespace_args() -> list[str]:
    args = ["bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--hostname", "cwmb-sandbox", "--die-with-parent", "--new-session"]
    if os.geteuid() != 0:
        # Unprivileged: a user namespace is how bwrap gets the others; nested ones are refused.
        args += ["--unshare-user", "--disable-userns"]
    else:
        # As root: no capability but the two the worker needs to become nobody before it reads the submission.
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    return args


@functools.lru_cache(maxsize=1)
def _system_binds() -> tuple[str, ...]:
    """Shared libraries and the loader, as on the host (symlinked roots stay symlinks)."""
    args: list[str] = []
    for root in _LIBRARY_ROOTS:
        if os.path.islink(root):
            args += ["--symlink", os.readlink(root), root]
        elif os.path.isdir(root):
            args += ["--ro-bind", root, root]
    for packages in _package_folders(r for r in _LIBRARY_ROOTS if os.path.isdir(r) and not os.path.islink(r)):
        args += _covered(packages)
    if os.path.exists("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    return tuple(args)


def _python_binds(python: str) -> list[str]:
    # The base interpreter's standard library (lib-dynload is inside it), never a venv's folder.
    stdlib = os.path.dirname(os.path.realpath(os.__file__))
    args = ["--ro-bind", python, python]
    if not _under_library_roots(stdlib):
        args += ["--ro-bind", stdlib, stdlib]
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    if libdir and not _under_library_roots(libdir):
        for library in sorted(glob.glob(os.path.join(libdir, "libpython*.so*"))):
            args += ["--ro-bind", library, library]
    for packages in _package_folders([stdlib]):
        args += _covered(packages)
    return args


def _module_binds() -> list[str]:
    numpy_dir = Path(numpy.__file__).resolve().parent
    args = ["--ro-bind", str(numpy_dir), f"{SITE}/numpy"]
    bundled = numpy_dir.parent / "numpy.libs"  # the wheel's own BLAS; numpy finds it via $ORIGIN/../numpy.libs
    if bundled.is_dir():
        args += ["--ro-bind", str(bundled), f"{SITE}/numpy.libs"]
    package = Path(__file__).resolve().parents[1]
    args += ["--ro-bind", str(package / "__init__.py"), f"{HARNESS}/cwmb/__init__.py",
             "--ro-bind", str(package / "sandbox"), f"{HARNESS}/cwmb/sandbox"]
    return args


def _traversable_parents(binds: list[str]) -> list[str]:
    """`--dir` for the folders above each bind destination, mode 0755: bubblewrap would copy the
    host's (0700 for /root), and the worker, as `nobody`, could not reach its own interpreter."""
    parents: list[str] = []
    for i, arg in enumerate(binds):
        if arg == "--ro-bind":
            parent = os.path.dirname(binds[i + 2])
            while parent not in ("/", "") and parent not in parents:
                parents.append(parent)
                parent = os.path.dirname(parent)
    args: list[str] = []
    for parent in sorted(parents, key=len):
        if not _under_library_roots(parent):
            args += ["--perms", "0755", "--dir", parent]
    return args


def _package_folders(roots) -> list[str]:
    """Python package folders (site-packages, dist-packages) at most two levels below `roots`."""
    found: list[str] = []
    for root in roots:
        for pattern in ("*-packages", "*/*-packages", "*/*/*-packages"):
            found += [p for p in glob.glob(os.path.join(root, pattern)) if os.path.isdir(p)]
    return sorted(set(found))


def _covered(path: str) -> list[str]:
    """An empty, read-only, one-page tmpfs over `path`."""
    return ["--size", "4096", "--perms", "0555", "--tmpfs", path, "--remount-ro", path]


def _under_library_roots(path: str) -> bool:
    real = os.path.realpath(path)
    return any(real == r or real.startswith(r + os.sep) for r in map(os.path.realpath, _LIBRARY_ROOTS)
               if os.path.isdir(r) and not os.path.islink(r))
