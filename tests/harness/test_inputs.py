"""Bad input to `cwmb-eval` is refused before any work, with one line naming the problem.

`submission.json` fields are typed and the name is a plain file name (it once became a path:
"../../evil" wrote outside results/); every option is checked before the first environment runs.
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
VALID = {"name": "mine", "method": "hand-written", "model": None, "llm_calls": 0, "seed": None, "url": None}


def _folder(tmp_path: Path, **fields) -> Path:
    folder = tmp_path / "sub"
    folder.mkdir(exist_ok=True)
    shutil.copy(BASELINE / "Taxi-v4.py", folder / "Taxi-v4.py")
    (folder / "submission.json").write_text(json.dumps({**VALID, **fields}))
    return folder


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert captured.out == ""
    return lines[0]


@pytest.mark.parametrize(
    "fields, named",
    [({"name": "../../evil"}, "'name'"), ({"name": "/tmp/x"}, "'name'"), ({"name": ""}, "'name'"),
     ({"name": "a b"}, "'name'"), ({"name": ".hidden"}, "'name'"), ({"name": "x" * 101}, "'name'"),
     ({"name": 7}, "'name'"), ({"llm_calls": -1}, "'llm_calls'"), ({"llm_calls": "10"}, "'llm_calls'"),
     ({"llm_calls": True}, "'llm_calls'"), ({"llm_calls": 2.5}, "'llm_calls'"), ({"seed": 1.5}, "'seed'"),
     ({"seed": "0"}, "'seed'"), ({"url": "ftp://example.org"}, "'url'"), ({"url": "javascript:alert(1)"}, "'url'"),
     ({"url": "https://"}, "'url'"), ({"method": 3}, "'method'"), ({"model": ["gpt"]}, "'model'"),
     ({"description": 5}, "'description'")],
)
def test_malformed_metadata_is_refused_naming_the_field(fields, named, tmp_path, monkeypatch, capsys):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)  # "../../evil" would have landed in tmp_path
    folder = _folder(tmp_path, **fields)
    assert main([str(folder), "--skip-planning"]) == 2
    line = _one_error_line(capsys)
    assert "submission.json" in line and named in line
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.parent != folder]
    assert written == [] and not (work / "results").exists()
    assert not Path("/tmp/x.cwmb-v1.json").exists()


def test_a_single_file_name_must_be_a_valid_submission_name(tmp_path, capsys):
    bad = tmp_path / "my model.py"
    shutil.copy(BASELINE / "Taxi-v4.py", bad)
    assert main([str(bad), "--env", "Taxi-v4", "--skip-planning"]) == 2
    assert "rename it" in _one_error_line(capsys)


@pytest.mark.parametrize("url", ["", None, "http://example.org", "https://github.com/org/repo/tree/main/x"])
def test_valid_metadata_is_recorded_with_its_description(url, tmp_path, monkeypatch):
    if not split_file("Taxi-v4", "test").exists():
        pytest.skip("Taxi-v4 not built")
    monkeypatch.chdir(tmp_path)
    folder = _folder(tmp_path, name="my.model_v2-final", url=url, seed=3, llm_calls=50, description="static")
    assert main([str(folder), "--env", "Taxi-v4", "--skip-planning", "--split", "test"]) == 0
    result = read_result(tmp_path / "results" / "my.model_v2-final.cwmb-v1.json")
    assert result["submission"]["url"] == url and result["submission"]["description"] == "static"
    assert (result["submission"]["seed"], result["submission"]["llm_calls"]) == (3, 50)


@pytest.mark.parametrize(
    "options, message",
    [(["--episodes", "0"], "argument --episodes: must be a positive integer, not '0'"),
     (["--episodes", "-1"], "argument --episodes: must be a positive integer, not '-1'"),
     (["--episodes", "many"], "argument --episodes: must be a positive integer, not 'many'"),
     (["--jobs", "0"], "argument --jobs: must be a positive integer, not '0'"),
     (["--protocol", "v2"], "argument --protocol: invalid choice: 'v2'"),
     (["--output", "OUT/missing/r.json"], "folder OUT/missing does not exist; create it first"),
     (["--output", "OUT"], "--output OUT is a folder: give the result file"),
     (["--episodes", "2", "--skip-planning"], "--episodes sets planning episodes and --skip-planning plans none"),
     (["--paper-data", "OUT"], "--paper-data is the paper-2024 protocol's data: add --protocol paper-2024"),
     (["--protocol", "paper-2024", "--paper-data", "OUT/none"], "--paper-data OUT/none: no such folder"),
     (["--self-check"], "a submission path and --self-check are separate commands")],
)
def test_every_option_is_checked_before_any_work(options, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("OUT").mkdir()
    folder = _folder(tmp_path)
    try:
        status = main([str(folder), "--env", "Taxi-v4", *options])
    except SystemExit as exit_:  # argparse's own checks (types, choices) exit from parse_args
        status = exit_.code
    assert status == 2
    assert message in _one_error_line(capsys)
    assert not Path("results").exists() and not Path("OUT/missing").exists() and list(Path("OUT").iterdir()) == []


def test_no_command_is_one_line(capsys):
    assert main([]) == 2
    assert "give a world model .py file or a submission folder" in _one_error_line(capsys)
