"""The paper's reported rows: committed as result files, labelled, mapped to CWMB ids, never ranked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cwmb.registry import ENV_IDS
from leaderboard.reported import reported_results, write_reported
from leaderboard.store import RESULTS_DIR, Store, StoredResult, file_name
from leaderboard.table import build_rows
from tests.leaderboard.results_factory import evaluated

PAPER_RESULTS = Path(__file__).resolve().parents[3] / "shared" / "paper_results.json"
needs_paper = pytest.mark.skipif(not PAPER_RESULTS.is_file(), reason=f"reference file {PAPER_RESULTS} not found")


def committed_reported():
    """The committed reported rows, each through the store's checks (the evaluated rows beside them are
    the harness's to keep current: they are re-evaluated when the protocol or the sandbox changes)."""
    store = Store(RESULTS_DIR)
    paths = [p for p in store.paths() if p.name.split("__")[1].startswith("reported-")]
    return [StoredResult(p, store.read(p)) for p in paths]


def test_committed_reported_rows_pass_the_store_checks_and_name_their_source():
    stored = committed_reported()
    tables = sorted(s.result["source"]["table"] for s in stored)
    assert tables == ["Table 10"] * 2 + ["Table 11"] * 2 + ["Table 12"] * 5 + ["Table 2"] * 4
    for item in stored:
        result = item.result
        assert result["protocol"]["name"] == "paper-2024"
        assert "Dainese" in result["source"]["paper"] and result["source"]["url"].startswith("https://arxiv.org/")
        assert list(result["envs"]) == list(ENV_IDS)
        assert item.path.name == file_name(result)


def test_paper_env_ids_are_mapped_to_cwmb_ids():
    table11 = json.loads((RESULTS_DIR / "paper-2024__reported-table-11__gif-mcts-gpt-4-turbo-10-calls.json")
                         .read_text())
    assert table11["envs"]["Taxi-v4"]["paper_env_id"] == "Taxi-v3"
    assert table11["envs"]["Taxi-v4"]["accuracy"]["train"]["accuracy"] == 0.99
    assert table11["envs"]["Pusher-v5"]["paper_env_id"] == "Pusher-v4"
    assert table11["envs"]["MountainCar-v0"]["planning"]["not_applicable"].startswith("N/A in the paper")


def test_failed_syntheses_and_derived_returns_are_explicit():
    table10 = json.loads((RESULTS_DIR / "paper-2024__reported-table-10__gif-mcts-llama-3-70b-instruct-50-calls.json")
                         .read_text())
    assert table10["envs"]["Humanoid-v5"]["status"] == "failed"
    assert table10["envs"]["Humanoid-v5"]["failure"]["category"] == "synthesis_failed"
    table12 = json.loads((RESULTS_DIR / "paper-2024__reported-table-12__gif-mcts-gpt-4-turbo-10-calls.json")
                         .read_text())
    cartpole = table12["envs"]["CartPole-v1"]["planning"]
    assert (cartpole["mean_return"], cartpole["random_return"], cartpole["oracle_return"]) == (310.4, 24.4, 494)
    assert cartpole["normalised_return"] == pytest.approx((310.4 - 24.4) / (494 - 24.4), abs=1e-4)
    assert "derived by CWMB" in table12["source"]["note"]


def test_reported_rows_are_labelled_and_never_ranked():
    rows = build_rows(committed_reported())
    assert all(r["kind"] == "reported" and r["label"].startswith("reported (Table ") for r in rows)
    assert all(r["rank"] is None for r in rows)


def test_reported_rows_change_nothing_in_reproduced_rows():
    reproduced = [StoredResult(Path(f"paper-2024__{name}.json"), evaluated(name, protocol="paper-2024", normalised=n))
                  for name, n in (("alpha", 0.7), ("beta", 0.2))]
    alone = build_rows(reproduced)
    together = build_rows(reproduced + committed_reported())
    assert [r for r in together if r["kind"] == "reproduced"] == alone
    assert [r["rank"] for r in alone] == [1, 2]


@needs_paper
def test_committed_files_are_exactly_what_the_generator_writes(tmp_path):
    written = write_reported(PAPER_RESULTS, Store(tmp_path, dataset_revision="unused"))
    assert len(written) == len(reported_results(json.loads(PAPER_RESULTS.read_text())))
    for path in written:
        assert path.read_bytes() == (RESULTS_DIR / path.name).read_bytes(), path.name


@needs_paper
def test_regenerating_replaces_the_rows_in_place(tmp_path):
    store = Store(tmp_path, dataset_revision="unused")
    first = write_reported(PAPER_RESULTS, store)
    assert write_reported(PAPER_RESULTS, store) == first
    assert len(store.paths()) == len(first)
