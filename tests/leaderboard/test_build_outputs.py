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
    assert "| Rank | Submission | Score (all norm. return) | All accuracy | All state error | Row |" in markdown  # headline first
    assert "| 1 | alpha | 0.90 [0.90, 0.90] | 0.80 [0.80, 0.80] | — | reproduced |" in markdown
    assert "| 2 | beta |" in markdown and "| 3 | a\\|b &lt;script&gt;" in markdown
    # references are not ranked, whatever their score: the hand-written exact models and the oracle
    assert "| — | exact | 0.33 [0.11, 0.56] |" in markdown and "| — | oracle | 1.00 [1.00, 1.00] |" in markdown
    assert "| reported (Table 11) |" in markdown and "0.91 ± 0.08" in markdown  # Table 2, as printed
    assert "| 2026-11-26 | 0.1.0 | bubblewrap |" in markdown  # evaluated, harness, isolation of each run
    assert "a\\|b &lt;script&gt;" in markdown and "<script>" not in markdown
    assert "failed (timeout)" in markdown
    assert "](site/plots/cwmb-v1-top-per-env.png)" in markdown and "top entries (the 5 best ranked submissions" in markdown

    page = parse_page(out / "site" / "index.html")
    data = json.loads(page.data["cwmb-data"])
    rows = data["rows"]
    assert len(rows) == 9 == len(store.paths())
    assert data["default_protocol"] == "cwmb-v1"
    assert {r["label"] for r in rows} == {"reproduced", "reproduced (reference)", "reported (Table 2)",
                                          "reported (Table 11)", "reported (Table 12)"}
    by_name = {(r["protocol"], r["name"]): r for r in rows}
    assert [r["name"] for r in rows if r["protocol"] == "cwmb-v1" and r["rank"]] == ["alpha", "beta", rows[2]["name"]]
    assert by_name["cwmb-v1", "exact"]["reference"] and by_name["cwmb-v1", "exact"]["rank"] is None
    assert by_name["cwmb-v1", "alpha"]["description"].startswith("GIF-MCTS with a small model")
    # a submission committed in submissions/ is linked, with the description of its submission.json
    assert by_name["cwmb-v1", "exact"]["submission_folder"] == "submissions/exact/"
    assert by_name["cwmb-v1", "exact"]["description"].startswith("Hand-written code world models")
    assert by_name["cwmb-v1", "alpha"]["submission_folder"] is None
    assert by_name["cwmb-v1", "alpha"]["provenance"]["isolation"] == "bubblewrap"
    assert by_name["paper-2024", "oracle planner"]["provenance"]["isolation"] is None  # reported: the paper's run


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
    # The build stalls after its first plot, so that the kill lands in the middle of rendering however
    # loaded the machine is (a race against a fast build made this test flaky).
    stall_after_first_plot = (
        "import sys, time, leaderboard.plots as plots, leaderboard.cli as cli\n"
        "figure = plots.top_per_env_figure\n"
        "plots.top_per_env_figure = lambda *a: time.sleep(600) or figure(*a)\n"
        "sys.exit(cli.main(sys.argv[1:]))\n")
    process = subprocess.Popen([sys.executable, "-c", stall_after_first_plot, "build", "--results", str(store.folder),
                                "--data", str(data), "--out", str(out)], cwd=PROJECT_ROOT)
    deadline = time.monotonic() + 60
    while not list(out.glob(".build-*/site/plots/*.png")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # kill it in the middle of rendering: its first plot is written, the rest is not
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
    try:
        summary = build(Store(), tmp_path / "out")
    except Rejected as error:
        # Stored evaluated results written before cwmb-eval recorded its sandbox level are refused until
        # they are re-evaluated; any other refusal fails this test.
        if "records no sandbox isolation level" not in str(error):
            raise
        pytest.xfail(f"committed results awaiting re-evaluation with isolation recorded: {error}")
    assert summary.reported >= 13
    markdown = (tmp_path / "out" / "README.md").read_text()
    assert "reported (Table 2)" in markdown and "reported (Table 12)" in markdown


# ----------------------------------------------------------------------------------------------------------------
# Plots: error bars from the stored intervals, N/A / failed / 0 told apart, legends naming only what is drawn


def figure_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text") and a.get_text())]


def rows_of(store, protocol: str):
    from leaderboard.table import build_rows

    return [r for r in build_rows(store.load()) if r["protocol"] == protocol]


def test_top_entries_are_ranked_runs_then_reported_rows_then_the_references(store):
    from leaderboard.plots import top_entries

    assert [r["name"] for r in top_entries(rows_of(store, "cwmb-v1"))] == [
        "alpha", "beta", "a|b <script>alert(1)</script>", "exact"]  # the oracle is the 1 line, not a bar
    paper = [(r["name"], r["label"]) for r in top_entries(rows_of(store, "paper-2024"))]
    assert paper == [("alpha", "reproduced"), ("gif-mcts (gpt-4-turbo, 10 calls)", "reported (Table 11)")]


def test_the_top_entries_plot_marks_failed_na_and_zero_and_draws_stored_intervals(store):
    from matplotlib.container import ErrorbarContainer

    from leaderboard.plots import top_entries, top_per_env_figure

    rows = top_entries(rows_of(store, "cwmb-v1"))
    fig = top_per_env_figure(rows, "cwmb-v1")
    texts = figure_texts(fig)
    assert "failed (counts as 0)" in texts and "exactly 0" in texts  # beta's Ant, exact's failed envs; exact's 0s
    assert not any("N/A" in t for t in texts)  # no N/A under cwmb-v1 here, so none in the key
    assert not any("reported" in t or "hatched" in t for t in texts)  # no paper rows in this figure
    assert any("Top entries: the 5 best ranked submissions in rank order" in t for t in texts)
    (ax,) = fig.axes
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    with_interval = sum(e["normalised_ci95"] is not None and e["status"] == "ok" for r in rows for e in r["envs"])
    assert len(bars) == with_interval == 3 * 18 - 1 + 7  # every ok env of the 3 runs but beta's Ant; exact's 7
    alpha_taxi = next(c for c in bars if c.lines[2][0].get_segments()[0][0][0] == pytest.approx(-0.42 + 0.84 / 8 + 2))
    assert [y for _, y in alpha_taxi.lines[2][0].get_segments()[0]] == pytest.approx([0.8, 1.0])  # [0.9 - 0.1, 0.9 + 0.1]
    assert all(t.get_fontsize() >= 10 for t in fig.findobj(lambda a: hasattr(a, "get_fontsize")))

    paper = top_per_env_figure(top_entries(rows_of(store, "paper-2024")), "paper-2024")
    paper_texts = figure_texts(paper)
    assert any("hatched: reported by the paper" in t for t in paper_texts)
    assert any("filled up to 5 with the paper's reported rows" in t.replace("\n", " ") for t in paper_texts)
    assert "N/A: oracle no better than random" in paper_texts  # alpha's MountainCar and Acrobot


def test_the_accuracy_plot_names_paper_rows_only_where_there_are_any(store):
    from leaderboard.plots import accuracy_vs_return_figure

    v1 = figure_texts(accuracy_vs_return_figure(rows_of(store, "cwmb-v1"), "cwmb-v1"))
    assert not any("reported" in t or "hollow" in t for t in v1) and "failed (counts as 0)" in v1
    paper = figure_texts(accuracy_vs_return_figure(rows_of(store, "paper-2024"), "paper-2024"))
    assert any("hollow circles: reported by the paper" in t for t in paper)
    assert "normalised return N/A (oracle no better than random)" in paper and "\u25bd N/A" in paper
