"""Prompt templates and the descriptions they are built from."""

import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cwmb.errors import DatasetError
from cwmb.registry import ENV_IDS
from cwmb.solvers.checker import Failure
from cwmb.solvers.prompts import DESCRIPTIONS_FILE, Task, contract, fix_messages, generate_messages, improve_messages, load_description
from tests.solvers.helpers import STANDIN_DESCRIPTION, TASK

PROGRAM = "class Environment:\n    pass\n"


def test_generate_from_scratch_and_from_a_prefix():
    fresh = generate_messages(TASK)
    assert [m["role"] for m in fresh] == ["system", "user"]
    user = fresh[1]["content"]
    assert STANDIN_DESCRIPTION.strip() in user and "class Environment" in user
    assert "Already written" not in user
    continued = generate_messages(TASK, "import math\n# begin\n")[1]["content"]
    assert "## Already written" in continued and "```python\nimport math\n# begin\n```" in continued


def test_improve_shows_the_transition_and_asks_for_an_explanation_first():
    user = improve_messages(TASK, PROGRAM, "state 3, action 1: true next 4, predicted 3")[1]["content"]
    assert PROGRAM.strip() in user and "state 3, action 1: true next 4, predicted 3" in user
    assert user.index("First explain") < user.index("corrected program")


def test_fix_shows_the_error_and_the_offending_line():
    failure = Failure("exception", "KeyError: 7", 'File "cwm.py", line 4, in step\n    return table[s]\nKeyError: 7')
    user = fix_messages(TASK, PROGRAM, failure)[1]["content"]
    assert "exception: KeyError: 7" in user and "    return table[s]" in user and PROGRAM.strip() in user


@pytest.mark.parametrize(
    ("env_id", "state", "action"),
    [
        ("Taxi-v4", "an int", "an int"),
        ("Blackjack-v1", "a tuple of ints", "an int"),
        ("CartPole-v1", "numpy array of float32", "an int"),
        ("Hopper-v5", "numpy array of float64", "numpy array of float64"),
    ],
)
def test_contract_names_the_native_types(env_id, state, action):
    text = contract(Task(env_id, "text"))
    assert re.search(f"# state: .*{state}", text) and re.search(f"# action: .*{action}", text)
    assert "gymnasium" in text  # the simulator may not be imported


def test_load_description_from_jsonl_and_parquet(tmp_path):
    rows = [{"env_id": "Taxi-v4", "description": "taxi text"}, {"env_id": "Pusher-v4", "description": "paper pusher"}]
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    parquet = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    for path in (jsonl, parquet):
        assert load_description("Taxi-v4", path) == "taxi text"
        assert load_description("Taxi-v3", path) == "taxi text"  # the paper's id
        assert load_description("Pusher-v5", path) == "paper pusher"  # a file keyed by paper ids
        with pytest.raises(DatasetError, match=re.escape(f"{path} has no description of CartPole-v1")):
            load_description("CartPole-v1", path)


def test_missing_descriptions_file_says_how_to_build_it(tmp_path):
    with pytest.raises(DatasetError, match=re.escape("python -m data_builders.descriptions")):
        load_description("Taxi-v4", tmp_path / "missing.parquet")


@pytest.mark.skipif(not DESCRIPTIONS_FILE.is_file(), reason="the descriptions config is not built yet")
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_packaged_descriptions(env_id):
    text = load_description(env_id)
    assert len(text) > 200 and "Action Space" in text
