"""A world model that fails inside `step` is reported as such: the message reaches the result, an
env where nothing ran is failed with that category, and a model that hangs costs seconds."""

from __future__ import annotations

import time

import pytest

from cwmb.evaluate import FAILURE_EXAMPLES, check_program, evaluate_env
from cwmb.sandbox.client import FAIL_FAST_AFTER

RAISES = """
class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        raise ValueError("the pole fell off the cart")
"""

WRONG_SHAPE = """
import numpy as np

class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        return np.zeros(3), 1.0, False
"""

SOMETIMES = """
import numpy as np

class Environment:
    def set_state(self, state):
        self.state = np.asarray(state)

    def step(self, action):
        if action == 1:
            raise KeyError(f"no rule for action {action}")
        return self.state, 1.0, False
"""

LOOPS = """
class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        while True:
            pass
"""


def evaluate_source_text(tmp_path, source: str, env_id: str = "CartPole-v1", **options):
    path = tmp_path / f"{env_id}.py"
    path.write_text(source)
    return evaluate_env(str(path), env_id, "cwmb-v1", skip_planning=True, **options)


@pytest.mark.parametrize(("source", "category", "text"), [
    (RAISES, "exception", "ValueError: the pole fell off the cart (line 7: raise ValueError"),
    (WRONG_SHAPE, "bad_output", "next_state has shape (3,), expected (4,)"),
])
def test_a_model_that_fails_every_step_is_a_failed_env_with_its_message(tmp_path, source, category, text):
    entry = evaluate_source_text(tmp_path, source)
    assert entry["status"] == "failed"
    assert entry["failure"]["category"] == category and text in entry["failure"]["message"]
    for split in ("train", "test"):
        scored = entry["accuracy"][split]
        assert scored["failures"] == {category: scored["n_transitions"]}
        (example,) = scored["failure_examples"][category]  # one distinct message
        assert text in example["message"]
    assert entry["planning"] is None


def test_failures_of_a_model_that_mostly_works_are_kept_distinct_and_few(tmp_path):
    entry = evaluate_source_text(tmp_path, SOMETIMES)
    assert entry["status"] == "ok"
    test = entry["accuracy"]["test"]
    assert 0 < test["failures"]["exception"] < test["n_transitions"]
    examples = test["failure_examples"]["exception"]
    assert examples == [examples[0]] and "KeyError: 'no rule for action 1'" in examples[0]["message"]
    assert len(examples) <= FAILURE_EXAMPLES and "line 10" in examples[0]["message"]
    assert "raise KeyError" in examples[0]["traceback"]


def test_a_model_that_never_returns_ends_within_seconds(tmp_path):
    from cwmb.sandbox import Limits

    started = time.monotonic()
    path = tmp_path / "CartPole-v1.py"
    path.write_text(LOOPS)
    check = check_program(LOOPS, "CartPole-v1", limits=Limits(step_timeout=0.5))
    elapsed = time.monotonic() - started
    # One round (10 episodes, 0.5 s each) and the fail-fast verdict for the other 1,800+ transitions.
    assert elapsed < 60, f"took {elapsed:.0f} s"
    assert check.accuracy == 0.0 and check.step_errors[0].category == "timeout"
    assert any(f"the {FAIL_FAST_AFTER} transitions before failed with timeout" in e.message for e in check.step_errors)


def test_the_summary_shows_the_first_failure_with_its_line(tmp_path):
    from cwmb.cli import summary_table
    from cwmb.evaluate import evaluate

    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "CartPole-v1.py").write_text(RAISES)
    (folder / "submission.json").write_text('{"name": "broken"}')
    result = evaluate(folder, env_ids=["CartPole-v1"], skip_planning=True)
    table = summary_table(result)
    assert "first failure (CartPole-v1): exception: every transition of a split failed" in table
    assert "ValueError: the pole fell off the cart (line 7" in table
    assert "sandbox isolation: " in table
