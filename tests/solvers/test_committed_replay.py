"""Committed LLM runs replay offline into the same programs and trees, byte for byte.

The folders under ``submissions/`` that ``cwmb-solve`` wrote (a ``transcript.jsonl`` beside
``trees/``) hold real completions of a real model. Replaying a transcript (``--backend replay``)
answers every call from it, and the harness's sandboxed checker scores each candidate again on the
train split, so this test fails when the solver, the prompts, the descriptions, the code
extraction or the checker's verdicts drift from what produced the committed run. No model and no
network are needed.

A candidate that draws random numbers (small models write ``np.random.uniform`` in ``__init__``)
replays too, because the sandbox seeds Python's and numpy's generators before it runs
(`cwmb.sandbox.worker.SUBMISSION_SEED`); the first test checks that it does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cwmb.solvers.checker import default_scorer
from cwmb.solvers.cli import main

SUBMISSIONS = Path(__file__).resolve().parents[2] / "submissions"

#: A CliffWalking world model whose `done` is a coin flip: its accuracy varies unless the sandbox seeds.
COIN_FLIP_PROGRAM = """\
import random
import numpy as np

class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        return self.state, -1.0, bool(random.random() < 0.5 and np.random.random() < 0.9)
"""


def committed_trees() -> list[Path]:
    return sorted(
        tree
        for folder in SUBMISSIONS.iterdir()
        if (folder / "transcript.jsonl").is_file()
        for tree in (folder / "trees").glob("*.json")
    )


def test_the_checker_scores_a_program_that_draws_random_numbers_the_same_every_time():
    score = default_scorer()
    first, second = score(COIN_FLIP_PROGRAM, "CliffWalking-v1"), score(COIN_FLIP_PROGRAM, "CliffWalking-v1")
    assert 0.0 < first.accuracy < 1.0, "the coin flip should get some transitions right and some wrong"
    assert first.accuracy == second.accuracy


def test_there_are_committed_trees_to_replay():
    assert committed_trees(), "no committed cwmb-solve tree under submissions/: the replay below checks nothing"


@pytest.mark.parametrize("tree_path", committed_trees(), ids=lambda path: f"{path.parents[1].name}/{path.stem}")
def test_a_committed_run_replays_byte_for_byte(tree_path, tmp_path):
    folder, env_id = tree_path.parents[1], tree_path.stem
    tree = json.loads(tree_path.read_text(encoding="utf-8"))
    params = tree["params"]
    out = tmp_path / "replayed"
    code = main([
        "--env", env_id, "--method", tree["method"], "--budget", str(tree["config"]["budget"]),
        "--seed", str(tree["config"]["seed"]), "--temperature", repr(params["temperature"]),
        "--top-p", repr(params["top_p"]), "--max-tokens", str(params["max_tokens"]),
        "--backend", "replay", "--model", tree["model"], "--transcript", str(folder / "transcript.jsonl"),
        "--out", str(out), "--quiet",
    ])
    assert code == 0
    assert (out / "trees" / f"{env_id}.json").read_bytes() == tree_path.read_bytes()
    assert (out / f"{env_id}.py").read_bytes() == (folder / f"{env_id}.py").read_bytes()
