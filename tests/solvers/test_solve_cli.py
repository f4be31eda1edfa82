"""`cwmb-solve` end to end with the scripted backend: solve -> submission folder -> cwmb-eval."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cwmb.dataset.load as dataset_load
from cwmb.solvers.cli import main
from cwmb.solvers.llm.transcript import read_transcript
from tests.solvers.helpers import FakeScorer, answer, program, write_descriptions

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXACT_TAXI = PROJECT_ROOT / "submissions" / "exact" / "Taxi-v4.py"


@pytest.fixture
def descriptions(tmp_path):
    return write_descriptions(tmp_path / "descriptions.jsonl", ("Taxi-v4", "CliffWalking-v1"))


@pytest.fixture
def script(tmp_path):
    answers = [answer(program(acc, tag=f"a{i}")) for i, acc in enumerate([0.2, 0.6, 0.4, 0.5, 0.3, 0.1, 0.7, 0.2])]
    path = tmp_path / "script.json"
    path.write_text(json.dumps(answers))
    return path


@pytest.fixture
def no_test_split(monkeypatch):
    """Fail loudly if anything in this process opens the test split."""
    original = dataset_load.split_file

    def guarded(env_id, split, source=None):
        assert split == "train", f"the solver opened the {split} split of {env_id}"
        return original(env_id, split, source)

    monkeypatch.setattr(dataset_load, "split_file", guarded)


HARNESS = object()  # use the harness's own checker


def solve(tmp_path, descriptions, script, *extra, out="sub", scorer=None):
    argv = ["--backend", "scripted", "--script", str(script), "--seed", "0", "--descriptions", str(descriptions),
            "--out", str(tmp_path / out), *extra]
    if scorer is HARNESS:
        return main(argv)
    return main(argv, scorer=scorer if scorer is not None else FakeScorer())


def test_solve_writes_a_submission_folder(tmp_path, descriptions, script, capsys, no_test_split):
    assert solve(tmp_path, descriptions, script, "--env", "Taxi-v4", "--method", "gif-mcts", "--budget", "4", "--name", "demo") == 0
    out = tmp_path / "sub"
    submission = json.loads((out / "submission.json").read_text())
    assert {k: submission[k] for k in ("name", "method", "model", "llm_calls", "seed", "url")} == {
        "name": "demo", "method": "gif-mcts", "model": "scripted", "llm_calls": 4, "seed": 0, "url": None,
    }
    assert submission["envs"]["Taxi-v4"]["train_accuracy"] == 0.6
    assert submission["envs"]["Taxi-v4"]["llm_calls_used"] == 4
    tree = json.loads((out / "trees" / "Taxi-v4.json").read_text())
    assert tree["calls"] == 4 and len(tree["nodes"]) == 5 and tree["config"]["ucb_c"] == 0.1
    records = read_transcript(out / "transcript.jsonl")
    assert len(records) == 4 and {r["env_id"] for r in records} == {"Taxi-v4"}
    source = (out / "Taxi-v4.py").read_text()
    assert source.startswith("# Code world model for Taxi-v4") and "# fake-accuracy: 0.6" in source
    err = capsys.readouterr().err
    assert "[Taxi-v4] call 4/4" in err and "best 0.600" in err and "tokens" in err


def test_running_again_resumes_without_new_calls(tmp_path, descriptions, script, capsys):
    args = ("--env", "Taxi-v4", "--budget", "3")
    assert solve(tmp_path, descriptions, script, *args) == 0
    before = (tmp_path / "sub" / "transcript.jsonl").read_text()
    assert solve(tmp_path, descriptions, script, *args) == 0
    assert "already solved" in capsys.readouterr().err
    assert (tmp_path / "sub" / "transcript.jsonl").read_text() == before
    # A lost tree (interrupted before the end): the transcript answers every call again.
    (tmp_path / "sub" / "trees" / "Taxi-v4.json").unlink()
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    assert solve(tmp_path, descriptions, empty, *args) == 0
    assert (tmp_path / "sub" / "transcript.jsonl").read_text() == before


def test_several_environments_and_the_baselines(tmp_path, descriptions, script):
    envs = ("--env", "Taxi-v4", "--env", "CliffWalking-v0")  # the paper's id works too
    assert solve(tmp_path, descriptions, script, *envs, "--method", "worldcoder", "--budget", "3", out="wc") == 0
    submission = json.loads((tmp_path / "wc" / "submission.json").read_text())
    assert sorted(submission["envs"]) == ["CliffWalking-v1", "Taxi-v4"] and submission["method"] == "worldcoder"
    assert solve(tmp_path, descriptions, script, "--env", "Taxi-v4", "--method", "zero-shot", out="zs") == 0
    submission = json.loads((tmp_path / "zs" / "submission.json").read_text())
    assert submission["llm_calls"] == 1 and submission["envs"]["Taxi-v4"]["llm_calls_used"] == 1


def test_usage_errors(tmp_path, descriptions, script, capsys):
    out = str(tmp_path / "x")
    assert main(["--env", "Taxi-v4", "--out", out, "--descriptions", str(descriptions)], scorer=FakeScorer()) == 2
    assert "no LLM backend configured" in capsys.readouterr().err
    assert solve(tmp_path, descriptions, script, "--env", "Taxi-v5") == 2
    assert "Did you mean 'Taxi-v4'?" in capsys.readouterr().err
    assert solve(tmp_path, descriptions, script, "--env", "Taxi-v4", "--budget", "0") == 2
    assert "--budget must be at least 1" in capsys.readouterr().err
    assert solve(tmp_path, descriptions, script, "--env", "Hopper-v5") == 2
    assert "has no description of Hopper-v5" in capsys.readouterr().err


def test_console_script_help_and_version():
    script = Path(sys.executable).with_name("cwmb-solve")
    if not script.exists():
        pytest.skip("cwmb-solve is not installed in this environment")
    shown = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True).stdout
    for option in ("--env", "--all", "--method", "--backend", "--model", "--base-url", "--budget", "--seed", "--out", "--eval"):
        assert option in shown
    assert subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True).stdout.startswith("cwmb ")


def _harness_ready() -> bool:
    try:
        import cwmb.evaluate as harness
    except ImportError:
        return False
    return hasattr(harness, "check_program") and hasattr(harness, "evaluate")


@pytest.mark.skipif(not _harness_ready(), reason="cwmb.evaluate has no check_program/evaluate yet")
def test_end_to_end_with_the_harness(tmp_path, descriptions, no_test_split):
    """Scripted LLM -> real sandboxed checker (train) -> submission folder -> cwmb-eval result."""
    broken = EXACT_TAXI.read_text().replace("def step(self, action):", "def step(self, action):\n        1 / 0", 1)
    script = tmp_path / "script.json"
    script.write_text(json.dumps([answer(broken), answer(EXACT_TAXI.read_text())]))
    # solve: the sandbox finds the bug, the fix call returns the exact model, accuracy 1.0 stops the search
    assert solve(tmp_path, descriptions, script, "--env", "Taxi-v4", "--budget", "5", scorer=HARNESS) == 0
    tree = json.loads((tmp_path / "sub" / "trees" / "Taxi-v4.json").read_text())
    assert [s["action"] for s in tree["steps"]] == ["generate", "fix"]
    assert tree["nodes"][1]["raised"] and "ZeroDivisionError" in tree["nodes"][1]["error"]["message"]
    assert tree["best_accuracy"] == 1.0
    # evaluate the folder with cwmb-eval (accuracy only, to keep the test short)
    result_path = tmp_path / "result.json"
    code = subprocess.run(
        [sys.executable, "-m", "cwmb.cli", str(tmp_path / "sub"), "--skip-planning", "--output", str(result_path)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert code.returncode == 0, code.stderr
    result = json.loads(result_path.read_text())
    assert result["submission"]["method"] == "gif-mcts" and result["submission"]["llm_calls"] == 5
    assert result["envs"]["Taxi-v4"]["accuracy"]["train"]["accuracy"] == 1.0


def test_model_info_is_recorded_and_kept_on_resume(tmp_path, descriptions, script):
    info = {"weights_sha256": "ab" * 32, "quantisation": "Q4_K_M"}
    info_file = tmp_path / "model_info.json"
    info_file.write_text(json.dumps(info))
    assert solve(tmp_path, descriptions, script, "--env", "Taxi-v4", "--budget", "2", "--model-info", str(info_file)) == 0
    assert json.loads((tmp_path / "sub" / "submission.json").read_text())["model_info"] == info
    # Resumed without the option (a second environment): the recorded model_info stays.
    assert solve(tmp_path, descriptions, script, "--env", "Taxi-v4", "--env", "CliffWalking-v1", "--budget", "2") == 0
    assert json.loads((tmp_path / "sub" / "submission.json").read_text())["model_info"] == info


@pytest.mark.parametrize("content, problem", [("[1, 2]", "must hold a JSON object"), ("{oops", "is not valid JSON")])
def test_a_bad_model_info_file_is_one_line_error(tmp_path, descriptions, script, capsys, content, problem):
    info_file = tmp_path / "model_info.json"
    info_file.write_text(content)
    assert solve(tmp_path, descriptions, script, "--env", "Taxi-v4", "--model-info", str(info_file)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cwmb-solve: --model-info ") and problem in err and "\n" not in err
    assert not (tmp_path / "sub").exists()
