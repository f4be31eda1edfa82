"""`--resume` reuses a saved environment only when nothing that decides its numbers changed.

It once kept stale numbers: after the world model file was edited ("complete; nothing to do"),
against a result of another protocol, and with --output pointing to a folder. Each saved env now
carries its identity (program hash, protocol settings, options, data revision); a mismatch is
computed again and the user is told why, in one line.
"""

import json
import shutil
from pathlib import Path

import pytest

from cwmb.cli import main
from cwmb.dataset.load import split_file
from cwmb.results import read_result

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "submissions" / "baseline-static"
ENVS = ("Taxi-v4", "CliffWalking-v1")
MARKER = 0.123  # a number no real run gives: where it survives, the env was reused


@pytest.fixture
def submission(tmp_path):
    for env_id in ENVS:
        if not split_file(env_id, "test").exists():
            pytest.skip(f"{env_id} not built yet")
    folder = tmp_path / "sub"
    folder.mkdir()
    for env_id in ENVS:
        shutil.copy(BASELINE / f"{env_id}.py", folder / f"{env_id}.py")
    (folder / "submission.json").write_text(json.dumps({"name": "sub", "method": "hand-written"}))
    return folder


def _run(folder, out, *options):
    args = [str(folder), *(a for e in ENVS for a in ("--env", e)), "--skip-planning", "--output", str(out), *options]
    return main(args)


def _mark_every_env(out):
    result = json.loads(out.read_text())
    for entry in result["envs"].values():
        entry["accuracy"]["test"]["accuracy"] = MARKER
    out.write_text(json.dumps(result))


def _test_accuracy(out):
    return {env_id: entry["accuracy"].get("test", {}).get("accuracy")
            for env_id, entry in read_result(out)["envs"].items()}


def test_an_edited_world_model_is_computed_again_and_the_others_reused(submission, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert _run(submission, out) == 0
    _mark_every_env(out)
    with open(submission / "CliffWalking-v1.py", "a") as file:
        file.write("\n# edited\n")
    capsys.readouterr()
    assert _run(submission, out, "--resume") == 0
    err = capsys.readouterr().err
    assert "resume: computing CliffWalking-v1 again: its world model file changed since it was saved" in err
    accuracy = _test_accuracy(out)
    assert accuracy["Taxi-v4"] == MARKER and accuracy["CliffWalking-v1"] != MARKER
    assert read_result(out)["submission"]["files"]["CliffWalking-v1"] != "unchanged"
    assert not (tmp_path / "r.json.partial").exists()


def test_an_unchanged_result_is_up_to_date_and_left_as_it_is(submission, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert _run(submission, out) == 0
    before = out.read_bytes()
    assert _run(submission, out, "--resume") == 0
    assert "is up to date with these settings; nothing to do" in capsys.readouterr().out
    assert out.read_bytes() == before and not (tmp_path / "r.json.partial").exists()


@pytest.mark.parametrize("options, reason", [
    (["--split", "test"], "it was saved with other --split (test, train; this run: test)"),
])
def test_other_options_compute_again(options, reason, submission, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert _run(submission, out) == 0
    _mark_every_env(out)
    assert _run(submission, out, "--resume", *options) == 0
    assert f"resume: computing Taxi-v4, CliffWalking-v1 again: {reason}" in capsys.readouterr().err
    assert MARKER not in _test_accuracy(out).values()


def test_planning_options_are_part_of_the_identity():
    from cwmb.evaluate import _env_identity, _stale_reason, run_options
    from cwmb.protocols import get_protocol

    protocol = get_protocol("cwmb-v1").to_dict()

    def identity(**options):
        settings = {"splits": ("train", "test"), "episodes": None, "skip_planning": False, "paper_data": None} | options
        return _env_identity("Taxi-v4", "ab" * 32, protocol, run_options(**settings), "rev")

    saved = identity()
    assert _stale_reason(saved, identity()) is None
    assert _stale_reason(saved, identity(episodes=5)) is None  # 5 is the protocol's count for Taxi
    assert "--episodes/--skip-planning (5; this run: 2)" in _stale_reason(saved, identity(episodes=2))
    assert "--episodes/--skip-planning (5; this run: none)" in _stale_reason(saved, identity(skip_planning=True))
    other = _env_identity("Taxi-v4", "ab" * 32, get_protocol("paper-2024").to_dict(), run_options(
        ("train", "test"), None, False, None), "rev")
    assert _stale_reason(saved, other) == "it was saved under protocol cwmb-v1, this run is paper-2024"
    newer = json.loads(json.dumps(saved))
    newer["protocol"]["planner_revision"] = 99
    assert "other cwmb-v1 settings" in _stale_reason(newer, saved)
    assert _stale_reason(saved, identity() | {"dataset_revision": "new"}) == "the dataset changed since it was saved"
    assert _stale_reason(None, saved) == "saved by an older cwmb-eval that did not record its settings"


def test_a_result_without_recorded_options_is_computed_again(submission, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert _run(submission, out) == 0
    _mark_every_env(out)
    result = json.loads(out.read_text())
    del result["options"]  # as written by cwmb-eval before it recorded them
    out.write_text(json.dumps(result))
    assert _run(submission, out, "--resume") == 0
    assert "saved by an older cwmb-eval that did not record its settings" in capsys.readouterr().err
    assert MARKER not in _test_accuracy(out).values()


def test_a_result_of_another_protocol_or_submission_is_refused_not_replaced(submission, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert _run(submission, out) == 0
    before = out.read_bytes()
    capsys.readouterr()
    assert _run(submission, out, "--resume", "--protocol", "paper-2024") == 2
    assert "holds a cwmb-v1 result and this run is paper-2024: pass --output" in capsys.readouterr().err
    assert main([str(submission), "--env", "Taxi-v4", "--skip-planning", "--output", str(out), "--resume"]) == 2
    assert "holds 2 environments and this run evaluates 1" in capsys.readouterr().err
    (submission / "submission.json").write_text(json.dumps({"name": "other"}))
    assert _run(submission, out, "--resume") == 2
    assert "holds the result of submission 'sub', not 'other'" in capsys.readouterr().err
    assert out.read_bytes() == before and not (tmp_path / "r.json.partial").exists()


def test_an_old_partial_without_identity_is_computed_again(submission, tmp_path, capsys):
    out = tmp_path / "r.json"
    partial = tmp_path / "r.json.partial"
    partial.mkdir()
    old = {"sha256": "x", "protocol": "cwmb-v1", "entry": {"status": "ok"}}  # the format before identities
    (partial / "Taxi-v4.json").write_text(json.dumps(old))
    (partial / "CliffWalking-v1.json").write_text("{damaged")
    assert _run(submission, out, "--resume") == 0
    err = capsys.readouterr().err
    assert "computing Taxi-v4 again: saved by an older cwmb-eval" in err
    assert "computing CliffWalking-v1 again: its saved file is damaged" in err
    assert read_result(out)["envs"]["Taxi-v4"]["accuracy"]["test"]["n_transitions"] > 0
