"""Committed LLM runs replay offline into the same programs and trees, byte for byte.

The folders under ``submissions/`` that ``cwmb-solve`` wrote (a ``transcript.jsonl`` beside
``trees/``) hold real completions of a real model. Replaying a transcript (``--backend replay``)
answers every call from it, and the harness's sandboxed checker scores each candidate again on the
train split, so this test fails when the solver, the prompts, the descriptions, the code
extraction or the checker's verdicts drift from what produced the committed run. No model and no
network are needed.

One limit, measured here rather than assumed: the sandbox does not seed Python's or numpy's
random generators, so a candidate that draws unseeded random numbers (small models write
``np.random.uniform`` in ``__init__``) gets a different train accuracy on every check, and a search
over it can take another path. While `the_checker_is_deterministic()` is False, trees holding such
a candidate are skipped, saying so; every other tree must still match byte for byte, and at least one
must be checked.
"""

from __future__ import annotations

import functools
import io
import json
import tokenize
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


def names_a_random_generator(program: str) -> bool:
    """The code (comments and strings aside) names `random` or `default_rng`; unparsable code counts too."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(program).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return "random" in program
    return any(t.type == tokenize.NAME and t.string in ("random", "default_rng") for t in tokens)


def draws_random_numbers(tree: dict) -> bool:
    """Some candidate of the search may draw from a random generator."""
    return any(names_a_random_generator(node["program"]) for node in tree["nodes"])


@functools.cache
def the_checker_is_deterministic() -> bool:
    """Two checks of a coin-flipping program agree only when the sandbox seeds the generators."""
    score = default_scorer()
    return score(COIN_FLIP_PROGRAM, "CliffWalking-v1").accuracy == score(COIN_FLIP_PROGRAM, "CliffWalking-v1").accuracy


def strictly_checkable() -> list[Path]:
    return [p for p in committed_trees() if not draws_random_numbers(json.loads(p.read_text(encoding="utf-8")))]


def test_at_least_one_committed_tree_is_checked_byte_for_byte():
    assert strictly_checkable(), "no committed cwmb-solve tree without random draws: the replay below checks nothing"


@pytest.mark.parametrize("tree_path", committed_trees(), ids=lambda path: f"{path.parents[1].name}/{path.stem}")
def test_a_committed_run_replays_byte_for_byte(tree_path, tmp_path):
    folder, env_id = tree_path.parents[1], tree_path.stem
    tree = json.loads(tree_path.read_text(encoding="utf-8"))
    if draws_random_numbers(tree) and not the_checker_is_deterministic():
        pytest.skip("a candidate draws unseeded random numbers and the sandbox does not seed its generators, "
                    "so its train accuracy varies from check to check")
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
