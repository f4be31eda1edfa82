"""The hostile suite again as an ordinary user: most researchers do not evaluate as root.

When the tests run as root (CI, containers), this runs `test_sandbox.py` and `test_isolation.py`
once more as user `nobody` (`setpriv`), with an interpreter and a virtual environment that user can
read: the system's Python of the same minor version, in a venv that adds this environment's
packages. Run as an ordinary user, the suite itself is the test, and this one skips.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import site
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534


def _readable_by_others(path: Path) -> bool:
    """Every folder down to `path` is world-searchable, and `path` itself world-readable."""
    path = path.resolve()
    for parent in [*reversed(path.parents), path]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH or (parent == path and not mode & stat.S_IROTH):
            return False
    return True


def _system_python() -> str | None:
    """An interpreter `nobody` can run, of this one's minor version (compiled packages must load)."""
    for candidate in (f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}", "/usr/bin/python3"):
        if os.path.exists(candidate) and _readable_by_others(Path(candidate)):
            version = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                                     capture_output=True, text=True).stdout.strip()
            if version == str(tuple(sys.version_info[:2])):
                return candidate
    return None


def _user_venv(python: str, packages: str) -> Path:
    """A venv without pip whose site adds `packages` (this environment's), readable by everyone."""
    key = hashlib.sha256(f"{python}|{packages}".encode()).hexdigest()[:12]
    venv = Path("/tmp") / f"cwmb-ordinary-user-{key}"
    if not (venv / "bin" / "python").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True)
        user_site = next((venv / "lib").glob("python3*/site-packages"))
        (user_site / "cwmb-test-packages.pth").write_text(f"import site; site.addsitedir({packages!r})\n")
    for path in [venv, *venv.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0))
    return venv


def test_hostile_suite_passes_as_an_ordinary_user():
    if os.geteuid() != 0:
        pytest.skip("already an ordinary user: the hostile suite itself is this test")
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to become nobody")
    python = _system_python()
    if python is None:
        pytest.skip(f"no system Python {sys.version_info.major}.{sys.version_info.minor} that nobody can run")
    packages = next(p for p in site.getsitepackages() if Path(p, "numpy").is_dir())
    for needed in (Path(packages), REPO / "cwmb", REPO / "tests" / "sandbox"):
        if not _readable_by_others(needed):
            pytest.skip(f"{needed} is not readable by other users: clone and install where nobody can read")
    venv = _user_venv(python, packages)
    home = Path(tempfile.mkdtemp(prefix="cwmb-ordinary-user-home-"))  # pytest's own tmp_path is root's only
    os.chown(home, NOBODY, NOBODY)
    environment = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
                   "PYTHONDONTWRITEBYTECODE": "1"}
    command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all",
               str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "--basetemp", str(home / "pytest"), "tests/sandbox/test_sandbox.py", "tests/sandbox/test_isolation.py"]
    try:
        completed = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=1200)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report = (completed.stdout + completed.stderr)[-4000:]
    assert completed.returncode == 0, report
    assert " passed" in completed.stdout and " failed" not in completed.stdout, report
    print(completed.stdout.splitlines()[-1])
