"""`cwmb-eval` end to end with tiny budgets, bad input, atomic results and resume."""

import json
import re
import shutil
from pathlib import Path

import pytest

from cwmb.cli import main
from cwmb.dataset.load import split_file
from cwmb.results import read_result

ROOT = Path(__file__).resolve().parents[2]
EXACT = ROOT / "submissions" / "exact"
BASELINE = ROOT / "submissions" / "baseline-static"


def _need(env_id):
    if not split_file(env_id, "test").exists():
        pytest.skip(f"{env_id} not built yet")


def test_exact_pendulum_scores_one_and_matches_the_oracle(tmp_path, capsys):
    _need("Pendulum-v1")
    out = tmp_path / "r.json"
    assert main([str(EXACT / "Pendulum-v1.py"), "--episodes", "1", "--output", str(out)]) == 0
    result = read_result(out)
    entry = result["envs"]["Pendulum-v1"]
    assert entry["accuracy"]["test"]["accuracy"] == 1.0 and entry["accuracy"]["train"]["accuracy"] == 1.0
    planning = entry["planning"]
    assert planning["mean_return"] > planning["random_return"]
    assert "Pendulum-v1" in capsys.readouterr().out


def test_baseline_folder_accuracy_only(tmp_path):
    _need("Taxi-v4")
    out = tmp_path / "b.json"
    assert main([str(BASELINE), "--env", "Taxi-v4", "--skip-planning", "--output", str(out)]) == 0
    result = read_result(out)
    assert result["submission"]["name"] == json.loads((BASELINE / "submission.json").read_text())["name"]
    assert 0 < result["envs"]["Taxi-v4"]["accuracy"]["test"]["accuracy"] < 1
    assert result["envs"]["Taxi-v4"]["planning"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["/no/such/file.py"], "no such file or folder: /no/such/file.py"),
        (["README.md"], "is not a Python file"),
        (["submissions/exact/CartPole-v1.py", "--env", "Pong-v5"], "unknown environment 'Pong-v5'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, message, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_malformed_submission_json(tmp_path, capsys):
    folder = tmp_path / "sub"
    folder.mkdir()
    shutil.copy(BASELINE / "Taxi-v4.py", folder / "Taxi-v4.py")
    (folder / "submission.json").write_text("{not json")
    assert main([str(folder)]) == 2
    assert re.search(r"submission.json is not valid JSON", capsys.readouterr().err)


def test_existing_result_is_never_overwritten(tmp_path, capsys):
    out = tmp_path / "r.json"
    out.write_text("{}")
    assert main([str(BASELINE / "Taxi-v4.py"), "--output", str(out)]) == 2
    assert "exists: pass --resume" in capsys.readouterr().err
    assert out.read_text() == "{}"


def test_broken_submission_is_a_result_not_a_crash(tmp_path):
    _need("CartPole-v1")
    bad = tmp_path / "CartPole-v1.py"
    bad.write_text("class Environment(:\n")
    out = tmp_path / "r.json"
    assert main([str(bad), "--skip-planning", "--output", str(out)]) == 0
    entry = read_result(out)["envs"]["CartPole-v1"]
    assert entry["status"] == "failed" and entry["failure"]["category"] == "syntax_error"


def test_resume_reuses_finished_environments(tmp_path):
    _need("Taxi-v4")
    _need("CliffWalking-v1")
    out = tmp_path / "r.json"
    partial = tmp_path / "r.json.partial"
    partial.mkdir()
    from cwmb.evaluate import evaluate

    first = evaluate(BASELINE, env_ids=["Taxi-v4"], skip_planning=True, partial_dir=partial)
    saved = json.loads((partial / "Taxi-v4.json").read_text())
    saved["entry"]["accuracy"]["test"]["accuracy"] = 0.123  # marker: a resumed run must reuse it
    (partial / "Taxi-v4.json").write_text(json.dumps(saved))
    assert main([str(BASELINE), "--env", "Taxi-v4", "--env", "CliffWalking-v1", "--skip-planning",
                 "--output", str(out), "--resume"]) == 0
    result = read_result(out)
    assert result["envs"]["Taxi-v4"]["accuracy"]["test"]["accuracy"] == 0.123
    assert "CliffWalking-v1" in result["envs"] and not partial.exists()
    assert first["envs"]["Taxi-v4"]["accuracy"]["test"]["accuracy"] != 0.123


def _without_timings(result):
    envs = {e: {k: v for k, v in entry.items() if k != "seconds"} for e, entry in result["envs"].items()}
    return envs, result["aggregate"]


def test_same_seed_same_numbers_in_process_or_pool():
    _need("CliffWalking-v1")
    _need("Taxi-v4")
    from cwmb.evaluate import evaluate

    kwargs = {"env_ids": ["CliffWalking-v1", "Taxi-v4"], "episodes": 1}
    one = evaluate(EXACT, jobs=1, **kwargs)
    two = evaluate(EXACT, jobs=2, **kwargs)
    assert _without_timings(one) == _without_timings(two)
    assert one["envs"]["CliffWalking-v1"]["planning"]["episode_returns"] != []


def test_renormalise_recomputes_normalised_returns_from_the_shipped_references(tmp_path, capsys):
    from cwmb.references import reference_returns
    from tests.leaderboard.results_factory import evaluated, write

    result = evaluated("stale")
    planning = result["envs"]["CartPole-v1"]["planning"]
    planning["random_return"], planning["oracle_return"], planning["normalised_return"] = 0.0, 3.0, 0.5
    path = write(result, tmp_path / "stale.json")
    assert main(["--renormalise", str(path)]) == 0
    fixed = read_result(path)["envs"]["CartPole-v1"]["planning"]
    r_random, r_oracle = reference_returns("cwmb-v1", "CartPole-v1")
    assert (fixed["random_return"], fixed["oracle_return"]) == (r_random, r_oracle)
    assert fixed["normalised_return"] == pytest.approx((1.5 - r_random) / (r_oracle - r_random))
    assert fixed["episode_returns"] == planning["episode_returns"]
    assert "renormalised with the shipped reference returns" in capsys.readouterr().out
    assert main(["--renormalise", str(tmp_path / "missing.json")]) == 2
