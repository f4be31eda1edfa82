"""`cwmb-leaderboard build`: the markdown, the self-contained page and the plots; atomic, deterministic."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from leaderboard import build as build_module
from leaderboard.build import build
from leaderboard.store import Rejected, Store
from tests.leaderboard.results_factory import REVISION, evaluated, fake_dataset, populate, snapshot

pytest.importorskip("matplotlib")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One populated store built once (plots take a second or two): (store, output folder, snapshot)."""
    root = tmp_path_factory.mktemp("built")
    store = populate(root / "results")
    build(store, root / "out")
    return store, root / "out", snapshot(root / "out")


@pytest.fixture
def store(tmp_path):
    return populate(tmp_path / "results")


def outputs(out: Path) -> dict[str, bytes]:
    """The leaderboard's files, without the temporary folders of builds in progress."""
    return {path: data for path, data in snapshot(out).items() if not path.startswith(".build-")}


def copy_of(built, tmp_path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(built[1], out)
    return out


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.data: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in = dict(attrs).get("id") if tag == "script" else None

    def handle_data(self, data):
        if self._in:
            self.data[self._in] = self.data.get(self._in, "") + data


def parse_page(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    collector.close()
    return collector


def test_build_writes_markdown_page_and_plots(built):
    store, out, _ = built
    plots = sorted(p.name for p in (out / "site" / "plots").iterdir())
    assert plots == ["cwmb-v1-accuracy-vs-return.png", "cwmb-v1-top-per-env.png",
                     "paper-2024-accuracy-vs-return.png", "paper-2024-top-per-env.png"]
    for plot in plots:
        assert (out / "site" / "plots" / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    markdown = (out / "README.md").read_text()
    assert "## `cwmb-v1` · test split (scored)" in markdown and "## `paper-2024` · train split (scored)" in markdown
    assert "| 1 | alpha | reproduced |" in markdown and "| 2 | beta | reproduced |" in markdown
    assert "| — | oracle | reproduced (reference) |" in markdown  # references are not ranked
    assert "| — | gif-mcts (gpt-4-turbo, 10 calls) | reported (Table 11) |" in markdown
    assert "0.91 ± 0.08" in markdown  # Table 2, as printed
    assert "a\\|b &lt;script&gt;" in markdown and "<script>" not in markdown
    assert "failed (timeout)" in markdown
    assert "![cwmb-v1: normalised return per environment of the top entries](site/plots/cwmb-v1-top-per-env.png)" \
        in markdown

    page = parse_page(out / "site" / "index.html")
    rows = json.loads(page.data["cwmb-data"])["rows"]
    assert len(rows) == 8 == len(store.paths())
    assert {r["label"] for r in rows} == {"reproduced", "reproduced (reference)", "reported (Table 2)",
                                          "reported (Table 11)", "reported (Table 12)"}


def test_the_page_is_self_contained(built):
    path = built[1] / "site" / "index.html"
    text = path.read_text()
    page = parse_page(path)
    assert not [t for t, a in page.tags if t == "link"]
    assert all("src" not in attrs for tag, attrs in page.tags if tag == "script")
    assert not re.search(r"@import|url\(|@font-face", text)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "<script>alert(1)" not in text  # the hostile name is JSON-escaped data, not markup
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert images == []  # drawn by the script from the data: relative paths next to the page
    assert all(not p["src"].startswith(("/", "http")) for p in json.loads(page.data["cwmb-data"])["plots"])


def test_a_rebuild_gives_identical_bytes(built, tmp_path):
    out = copy_of(built, tmp_path)
    build(built[0], out)
    assert snapshot(out) == built[2]


def test_an_empty_store_builds_a_valid_empty_page_and_drops_stale_plots(built, tmp_path):
    out = copy_of(built, tmp_path)
    summary = build(Store(tmp_path / "nothing-here", dataset_revision=REVISION), out)
    assert summary.runs == 0
    assert list((out / "site" / "plots").iterdir()) == []
    assert "No results yet" in (out / "README.md").read_text()
    page = parse_page(out / "site" / "index.html")
    assert json.loads(page.data["cwmb-data"])["rows"] == []
    assert any(tag == "table" and attrs.get("id") == "leaderboard" for tag, attrs in page.tags)


def test_a_crash_while_rendering_leaves_the_previous_leaderboard(built, store, tmp_path, monkeypatch):
    out = copy_of(built, tmp_path)
    store.add_result(evaluated("gamma"))

    def crash(rows, folder):
        (folder / "half-written.png").write_bytes(b"\x89PNG")
        raise MemoryError("killed while plotting")

    monkeypatch.setattr(build_module, "render_plots", crash)
    with pytest.raises(MemoryError):
        build(store, out)
    assert snapshot(out) == built[2]
    assert not list(out.glob(".build-*"))


def test_a_bad_stored_file_stops_the_build_before_anything_is_written(built, store, tmp_path):
    out = copy_of(built, tmp_path)
    (store.folder / "zz.json").write_text("{\"truncated")
    with pytest.raises(Rejected, match=re.escape("zz.json is not valid JSON")):
        build(store, out)
    assert snapshot(out) == built[2]


def test_a_killed_build_leaves_the_previous_leaderboard(built, tmp_path, monkeypatch):
    from cwmb.dataset.load import dataset_revision

    data = fake_dataset(tmp_path / "data")
    store = populate(tmp_path / "results", revision=dataset_revision(data))
    store.add_result(evaluated("gamma", revision=dataset_revision(data)))
    out = copy_of(built, tmp_path)
    process = subprocess.Popen([sys.executable, "-m", "leaderboard.cli", "build", "--results", str(store.folder),
                                "--data", str(data), "--out", str(out)], cwd=PROJECT_ROOT)
    deadline = time.monotonic() + 60
    while not list(out.glob(".build-*/site/plots/*.png")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)  # kill it in the middle of rendering: its first plot is written, the rest is not
    killed = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert killed, "the build finished before it could be killed"
    assert list(out.glob(".build-*/site/plots/*.png")), "the build was killed before it started rendering"
    assert outputs(out) == built[2]
    monkeypatch.setattr(build_module, "render_plots", lambda rows, folder: [])  # plots are not the point here
    build(store, out)  # the next build cleans up after the killed one
    assert not list(out.glob(".build-*"))
    assert "gamma" in (out / "README.md").read_text()


def test_the_committed_results_build(tmp_path):
    summary = build(Store(), tmp_path / "out")
    assert summary.reported >= 13
    markdown = (tmp_path / "out" / "README.md").read_text()
    assert "reported (Table 2)" in markdown and "reported (Table 12)" in markdown
