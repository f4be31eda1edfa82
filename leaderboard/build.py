"""`cwmb-leaderboard build`: store -> `README.md`, `site/index.html`, `site/plots/*.png`, without ever
leaving a broken leaderboard behind.

Everything is rendered into a private temporary folder (`<out>/.build-<pid>-*`) first; only when all
outputs exist are they moved into place, one `os.replace` per file (plots, then the page, then the
markdown), and plots no longer produced are removed last. A crash or kill while rendering, which is
nearly all of the time a build takes, leaves the previous outputs untouched; every output file is at
all times either its old or its new version, never a partial one. Temporary folders of killed builds
are removed by the next build.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from leaderboard.plots import render_plots
from leaderboard.render import render_markdown, render_page
from leaderboard.store import LEADERBOARD_DIR, Store
from leaderboard.table import build_rows

PLOTS = Path("site") / "plots"


@dataclass(frozen=True)
class BuildSummary:
    """What a build wrote."""

    runs: int
    reproduced: int
    reported: int
    files: tuple[Path, ...]


def build(store: Store, out: str | Path = LEADERBOARD_DIR) -> BuildSummary:
    """Render the leaderboard of `store` into `out` (default: the committed `leaderboard/`).

    Raises:
        Rejected: a stored file fails the store's checks (the message names it); nothing is written.
    """
    out = Path(out)
    rows = build_rows(store.load())
    out.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".build-{os.getpid()}-", dir=out))
    try:
        (tmp / PLOTS).mkdir(parents=True)
        plots = render_plots(rows, tmp / PLOTS)
        page = render_page(rows, [(f"plots/{name}", caption, protocol) for name, caption, protocol in plots])
        markdown = render_markdown(rows, [(f"{PLOTS.as_posix()}/{name}", caption, protocol)
                                          for name, caption, protocol in plots])
        (tmp / "site" / "index.html").write_text(page, encoding="utf-8")
        (tmp / "README.md").write_text(markdown, encoding="utf-8")
        produced = [PLOTS / name for name, _, _ in plots] + [Path("site") / "index.html", Path("README.md")]
        for relative in produced:
            _fsync(tmp / relative)
        for relative in produced:
            (out / relative).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / relative, out / relative)
        keep = {out / p for p in produced}
        for stale in (out / PLOTS).glob("*.png"):
            if stale not in keep:
                stale.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    reproduced = sum(r["kind"] == "reproduced" for r in rows)
    return BuildSummary(len(rows), reproduced, len(rows) - reproduced, tuple(out / p for p in produced))


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _remove_abandoned(out: Path) -> None:
    """Remove temporary folders of builds whose process is gone (killed or crashed)."""
    for folder in out.glob(".build-*"):
        try:
            pid = int(folder.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
