"""The results store: what `add` accepts, what it refuses (one line, nothing changed), atomic writes."""

from __future__ import annotations

import json
import os
import re

import pytest

from cwmb.registry import ENV_IDS
from leaderboard.store import Rejected, Store, file_name
from tests.leaderboard.results_factory import REVISION, evaluated, modified, snapshot, write


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "results", dataset_revision=REVISION)


def test_add_copies_the_file_unchanged_under_a_readable_name(store, tmp_path):
    source = write(evaluated("my cwm", seed=3), tmp_path / "run.json")
    stored = store.add(source)
    assert stored == store.folder / "cwmb-v1__my-cwm__seed-3.json"
    assert stored.read_bytes() == source.read_bytes()
    assert [s.path for s in store.load()] == [stored]


def test_the_same_submission_under_both_protocols_is_two_runs(store, tmp_path):
    store.add(write(evaluated("exact", protocol="cwmb-v1"), tmp_path / "a.json"))
    store.add(write(evaluated("exact", protocol="paper-2024"), tmp_path / "b.json"))
    assert sorted(p.name for p in store.paths()) == ["cwmb-v1__exact__seed-0.json", "paper-2024__exact__seed-0.json"]


def _set(path: str, value):
    """A change that sets a dotted path of the result (keys; env ids contain no dots)."""
    def change(result):
        *parents, last = path.split(".")
        node = result
        for key in parents:
            node = node[key]
        node[last] = value
    return change


def _drop_env(result):
    del result["envs"]["Ant-v5"]


def _rename_env(result):
    result["envs"]["Taxi-v3"] = result["envs"].pop("Taxi-v4")


def _drop_isolation(result):
    del result["isolation"]


def _claims_to_be_the_oracle(result):
    """A submission (it has a program hash) calling itself "oracle" is not exempt from the sandbox check."""
    _drop_isolation(result)
    result["submission"]["method"] = "oracle"


REFUSED = {
    "isolation not recorded": (_drop_isolation, "records no sandbox isolation level (isolation.level); the leaderboard "
                               "needs 'bubblewrap' or stronger: re-run cwmb-eval where bubblewrap is installed"),
    "isolation not an object": (_set("isolation", "bubblewrap"), "records no sandbox isolation level"),
    "rlimits only": (_set("isolation", {"level": "rlimits", "namespaces": False}),
                     "world models ran with sandbox isolation 'rlimits', below the leaderboard's minimum 'bubblewrap'; "
                     "re-run cwmb-eval where bubblewrap is installed (`apt-get install bubblewrap`)"),
    "unknown isolation": (_set("isolation", {"level": "chroot"}),
                          "unknown sandbox isolation level 'chroot'; known levels, weakest first: rlimits, bubblewrap"),
    "oracle method with submitted code": (_claims_to_be_the_oracle, "records no sandbox isolation level"),
    "schema version": (_set("schema_version", 3), "schema_version 3; this harness reads 1, 2"),
    "unknown protocol": (_set("protocol.name", "cwmb-v9"),
                         "unknown protocol 'cwmb-v9'; the leaderboard accepts cwmb-v1, paper-2024"),
    "edited protocol": (_set("protocol.n_episodes", 1),
                        "protocol 'cwmb-v1' settings differ from the published ones (n_episodes)"),
    "other data": (_set("dataset.revision", "0" * 64),
                   "computed on other data (dataset revision 000000000000..., shipped data ffffffffffff...)"),
    "missing env": (_drop_env, "environments missing: Ant-v5; every env of the protocol must be present"),
    "paper id": (_rename_env, "unknown environment 'Taxi-v3' (the paper's id for Taxi-v4); results use the CWMB ids"),
    "failed without category": (_set("envs.Ant-v5", {"status": "failed", "failure": None}),
                                "envs.Ant-v5 is failed but has no failure category"),
    "bad status": (_set("envs.Ant-v5.status", "skipped"), "envs.Ant-v5.status must be 'ok' or 'failed'"),
    "accuracy above 1": (_set("envs.Taxi-v4.accuracy.test.accuracy", 1.5),
                         "envs.Taxi-v4.accuracy.test.accuracy must be a number in [0, 1] or null, not 1.5"),
    "string return": (_set("envs.Taxi-v4.planning.normalised_return", "0.5"),
                      "envs.Taxi-v4.planning.normalised_return must be a number or null, not '0.5'"),
    "one split only": (_set("envs.Taxi-v4.accuracy", {"train": {"accuracy": 1.0}}),
                       "envs.Taxi-v4 has no accuracy on the test split that cwmb-v1 scores; run cwmb-eval without"),
    "no planning": (_set("envs.Taxi-v4.planning", None),
                    "envs.Taxi-v4 has no planning result; run cwmb-eval without --skip-planning"),
    "fewer episodes": (_set("envs.Taxi-v4.planning.episode_returns", [1.0]),
                       "envs.Taxi-v4 planned 1 episodes, cwmb-v1 plays 5; run cwmb-eval without --episodes"),
    "reported without source": (_set("kind", "reported"), "a reported result must name its source"),
    "empty name": (_set("submission.name", ""), "submission.name must be a non-empty string"),
    "env not an object": (_set("envs.Ant-v5", 3), "malformed result"),
    "stale references": (_set("envs.Taxi-v4.planning.oracle_return", 7.5),
                         "envs.Taxi-v4 was normalised with other reference returns than the shipped ones; run "
                         "`cwmb-eval --renormalise RESULT.json`"),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_add_refuses_with_one_line_and_changes_nothing(store, tmp_path, case):
    change, message = REFUSED[case]
    store.add(write(evaluated("already-there"), tmp_path / "first.json"))
    before = snapshot(store.folder)
    bad = write(modified(evaluated("new"), change), tmp_path / "bad.json")
    with pytest.raises(Rejected, match=re.escape(message)) as error:
        store.add(bad)
    assert "\n" not in str(error.value)
    assert str(error.value).startswith("bad.json: ")
    assert snapshot(store.folder) == before


@pytest.mark.parametrize("text, message", [
    ("", "bad.json is not valid JSON (Expecting value at line 1, column 1); was the file truncated?"),
    ("{\"schema_version\": 1, \"kind\": \"eval", "bad.json is not valid JSON (Unterminated string"),
    ("[1, 2]", "bad.json: a result must be a JSON object"),
    ("{\"a\": NaN}", "bad.json: NaN is not a number; write null for a missing value"),
])
def test_malformed_json_is_refused(store, tmp_path, text, message):
    (tmp_path / "bad.json").write_text(text)
    with pytest.raises(Rejected, match=re.escape(message)):
        store.add(tmp_path / "bad.json")
    assert store.paths() == []


def test_a_truncated_result_file_is_refused(store, tmp_path):
    text = json.dumps(evaluated(), indent=1)
    (tmp_path / "bad.json").write_text(text[: len(text) // 2])
    with pytest.raises(Rejected, match=r"^bad\.json is not valid JSON \(.*\); was the file truncated\?$"):
        store.add(tmp_path / "bad.json")
    assert store.paths() == []


def test_nan_written_by_python_is_refused(store, tmp_path):
    result = evaluated()
    result["envs"]["Taxi-v4"]["planning"]["mean_return"] = float("nan")
    (tmp_path / "bad.json").write_text(json.dumps(result))  # json.dumps writes NaN by default
    with pytest.raises(Rejected, match=re.escape("NaN is not a number")):
        store.add(tmp_path / "bad.json")


def test_a_duplicate_run_is_refused_even_from_a_different_file(store, tmp_path):
    store.add(write(evaluated("exact"), tmp_path / "a.json"))
    rerun = modified(evaluated("exact"), _set("created", "2026-12-01T00:00:00Z"))
    with pytest.raises(Rejected, match=re.escape(
            "b.json: duplicate of the run already stored as cwmb-v1__exact__seed-0.json (evaluated 'exact' under "
            "cwmb-v1, seed 0); delete that file first to replace it")):
        store.add(write(rerun, tmp_path / "b.json"))
    # another seed of the same submission is another run
    store.add(write(evaluated("exact", seed=1), tmp_path / "c.json"))
    assert len(store.paths()) == 2


def test_failed_envs_are_accepted_when_explicit(store, tmp_path):
    result = evaluated("partial", failed=tuple(ENV_IDS[6:]))
    assert store.add(write(result, tmp_path / "partial.json")).exists()


def test_a_crash_while_storing_leaves_no_file(store, tmp_path, monkeypatch):
    def crash(*args):
        raise KeyboardInterrupt  # e.g. Ctrl-C between the temporary write and the link

    monkeypatch.setattr(os, "link", crash)
    with pytest.raises(KeyboardInterrupt):
        store.add(write(evaluated(), tmp_path / "run.json"))
    assert not store.folder.exists() or list(store.folder.iterdir()) == []


def test_leftover_temporary_files_are_not_results(store, tmp_path):
    store.add(write(evaluated(), tmp_path / "run.json"))
    (store.folder / ".cwmb-v1__x.json.123.tmp").write_text("{\"half")
    assert [p.name for p in store.paths()] == ["cwmb-v1__tiny__seed-0.json"]


def test_load_names_a_bad_file_committed_by_hand(store, tmp_path):
    store.add(write(evaluated(), tmp_path / "run.json"))
    (store.folder / "zz-hand-edited.json").write_text("{")
    with pytest.raises(Rejected, match=re.escape("zz-hand-edited.json is not valid JSON")):
        store.load()


def test_load_rechecks_the_dataset_revision(tmp_path):
    write(evaluated(), (tmp_path / "results").mkdir() or tmp_path / "results" / "run.json")
    with pytest.raises(Rejected, match=re.escape("run.json: computed on other data")):
        Store(tmp_path / "results", dataset_revision="e" * 64).load()


def test_file_names_of_reported_rows_name_their_table():
    result = modified(evaluated("gif-mcts (gpt-4-turbo, 10 calls)", seed=None, protocol="paper-2024"),
                      _set("kind", "reported"))
    result["source"] = {"paper": "Dainese et al. 2024", "table": "Table 11"}
    assert file_name(result) == "paper-2024__reported-table-11__gif-mcts-gpt-4-turbo-10-calls.json"


def test_per_environment_revisions_only_check_the_data_each_env_used():
    from leaderboard.store import check_result

    result = evaluated()
    result["dataset"] = {"revision": "whole-data-revision-of-another-day", "env_revisions": {"Taxi-v4": "taxi-rev"}}
    current = {"Taxi-v4": "taxi-rev"}
    check_result(result, "r.json", dataset_revision="today", env_revision=current.get)  # other envs: no data used
    current["Taxi-v4"] = "taxi-rebuilt"
    with pytest.raises(Rejected, match=re.escape("r.json: Taxi-v4 was computed on other data (revision taxi-rev...)")):
        check_result(result, "r.json", dataset_revision="today", env_revision=current.get)


def test_the_default_store_checks_per_environment_revisions(tmp_path):
    store = Store(tmp_path)
    store.dataset_revision  # computing the whole-data revision first must not switch the per-env check off
    assert store._env_revision_check is not None


def test_rows_that_ran_no_submitted_code_need_no_isolation_level(store, tmp_path):
    """The random and oracle references play the real simulator (no program hash); reported rows are the
    paper's numbers. Neither ran a submission in our sandbox."""
    for method in ("random", "oracle"):
        reference = evaluated(f"{method} policy", method=method, isolation=None)
        reference["submission"]["sha256"] = None
        assert store.add(write(reference, tmp_path / f"{method}.json")).exists()
    reported = modified(evaluated("paper row", protocol="paper-2024", isolation=None), _set("kind", "reported"))
    reported["source"] = {"paper": "Dainese et al. 2024", "table": "Table 11"}
    assert store.add(write(reported, tmp_path / "reported.json")).exists()
    assert len(store.load()) == 3

