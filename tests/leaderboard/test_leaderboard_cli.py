"""`cwmb-leaderboard` end to end: exit codes, one-line refusals, nothing changed on refusal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cwmb.dataset.load import dataset_revision
from leaderboard.cli import main
from tests.leaderboard.results_factory import evaluated, fake_dataset, modified, snapshot, write

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAPER_RESULTS = PROJECT_ROOT.parent / "shared" / "paper_results.json"


@pytest.fixture
def data(tmp_path):
    return fake_dataset(tmp_path / "data")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_add_check_and_build(tmp_path, data, capsys):
    results = tmp_path / "results"
    source = write(evaluated("exact", revision=dataset_revision(data)), tmp_path / "exact.json")
    code, out, err = run(capsys, "add", str(source), "--results", str(results), "--data", str(data))
    assert (code, err) == (0, "")
    assert out.startswith(f"added {results / 'cwmb-v1__exact__seed-0.json'} (evaluated 'exact' under cwmb-v1)")

    code, out, _ = run(capsys, "check", "--results", str(results), "--data", str(data))
    assert (code, out) == (0, f"1 result files in {results} pass every check\n")

    code, out, _ = run(capsys, "build", "--results", str(results), "--data", str(data), "--out", str(tmp_path / "lb"))
    assert code == 0 and out.startswith("built the leaderboard of 1 runs (1 reproduced, 0 reported)")
    assert (tmp_path / "lb" / "site" / "index.html").is_file() and (tmp_path / "lb" / "README.md").is_file()


def _other_protocol(result):
    result["protocol"]["name"] = "cwmb-v0"


@pytest.mark.parametrize("case, content, message", [
    ("truncated", lambda r: json.dumps(r)[:300], "is not valid JSON"),
    ("unknown protocol", lambda r: json.dumps(modified(r, _other_protocol)), "unknown protocol 'cwmb-v0'"),
    ("other data", lambda r: json.dumps(dict(r, dataset={"revision": "1" * 64, "source": "packaged"})),
     "computed on other data"),
    ("duplicate", lambda r: json.dumps(r), "duplicate of the run already stored as cwmb-v1__first__seed-0.json"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_refusals_print_one_line_and_change_nothing(tmp_path, data, capsys, case, content, message):
    results = tmp_path / "results"
    revision = dataset_revision(data)
    assert main(["add", str(write(evaluated("first", revision=revision), tmp_path / "first.json")),
                 "--results", str(results), "--data", str(data)]) == 0
    before = snapshot(results)
    capsys.readouterr()
    (tmp_path / "bad.json").write_text(content(evaluated("first", revision=revision)))
    code, out, err = run(capsys, "add", str(tmp_path / "bad.json"), "--results", str(results), "--data", str(data))
    assert code == 1 and out == ""
    assert err.startswith("rejected: bad.json") and err.count("\n") == 1 and message in err
    assert snapshot(results) == before


def test_runs_without_the_minimum_isolation_are_refused_by_add_and_check(tmp_path, data, capsys):
    results = tmp_path / "results"
    revision = dataset_revision(data)
    weak = write(evaluated("weak", revision=revision, isolation="rlimits"), tmp_path / "weak.json")
    code, out, err = run(capsys, "add", str(weak), "--results", str(results), "--data", str(data))
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith("rejected: weak.json: world models ran with sandbox isolation 'rlimits', below the "
                          "leaderboard's minimum 'bubblewrap'")
    assert not results.exists() or list(results.iterdir()) == []
    # a result from before isolation was recorded, committed by hand, fails the store's check
    results.mkdir()
    write(evaluated("old", revision=revision, isolation=None), results / "cwmb-v1__old__seed-0.json")
    code, out, err = run(capsys, "check", "--results", str(results), "--data", str(data))
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith("rejected: cwmb-v1__old__seed-0.json: records no sandbox isolation level")


def test_a_missing_file_is_one_line(tmp_path, capsys):
    code, _, err = run(capsys, "add", str(tmp_path / "nope.json"), "--results", str(tmp_path / "r"))
    assert code == 1 and err.startswith("rejected: cannot read") and err.count("\n") == 1


def test_check_names_a_broken_store_file(tmp_path, capsys):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "broken.json").write_text("{")
    code, _, err = run(capsys, "check", "--results", str(tmp_path / "results"))
    assert code == 1 and err.startswith("rejected: broken.json is not valid JSON")


def test_an_empty_store_builds(tmp_path, capsys):
    code, out, _ = run(capsys, "build", "--results", str(tmp_path / "none"), "--out", str(tmp_path / "lb"))
    assert code == 0 and out.startswith("built the leaderboard of 0 runs")


@pytest.mark.skipif(not PAPER_RESULTS.is_file(), reason=f"reference file {PAPER_RESULTS} not found")
def test_import_paper(tmp_path, capsys):
    code, out, _ = run(capsys, "import-paper", str(PAPER_RESULTS), "--results", str(tmp_path / "results"))
    assert (code, out) == (0, f"wrote 13 reported result files into {tmp_path / 'results'}\n")


def test_the_module_runs_as_a_script():
    done = subprocess.run([sys.executable, "-m", "leaderboard.cli", "--version"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, check=True)
    assert done.stdout.startswith("cwmb-leaderboard ")


def test_renormalise_brings_a_run_up_to_date_with_the_shipped_references(tmp_path, data, capsys, monkeypatch):
    from cwmb.references import reference_returns
    revision = dataset_revision(data)
    store_dir = tmp_path / "store"
    assert run(capsys, "add", str(write(evaluated("alpha", revision=revision), tmp_path / "a.json")),
               "--results", str(store_dir), "--data", str(data))[0] == 0
    (stored,) = store_dir.glob("*.json")
    # The shipped references gain episodes: Taxi's oracle return moves, the stored run is now stale.
    shipped = reference_returns("cwmb-v1", "Taxi-v4")
    monkeypatch.setattr("cwmb.references.load_references", _shifted_taxi_oracle(shipped[1] + 10.0))
    code, _, err = run(capsys, "check", "--results", str(store_dir), "--data", str(data))
    assert code == 1 and "envs.Taxi-v4 was normalised with other reference returns" in err
    code, out, _ = run(capsys, "renormalise", "--results", str(store_dir), "--data", str(data))
    assert code == 0 and out.startswith("1 stored runs renormalised")
    taxi = json.loads(stored.read_text())["envs"]["Taxi-v4"]["planning"]
    assert taxi["oracle_return"] == shipped[1] + 10.0
    assert taxi["normalised_return"] == pytest.approx((1.5 - shipped[0]) / (shipped[1] + 10.0 - shipped[0]))
    assert run(capsys, "check", "--results", str(store_dir), "--data", str(data))[0] == 0
    assert run(capsys, "renormalise", "--results", str(store_dir), "--data", str(data))[1].startswith("0 stored runs")


def _shifted_taxi_oracle(oracle_return):
    from cwmb.references import load_references as shipped_references

    def load(protocol):
        references = json.loads(json.dumps(shipped_references(protocol)))
        if protocol == "cwmb-v1":
            references["Taxi-v4"]["oracle"]["returns"] = [oracle_return]
        return references
    return load
