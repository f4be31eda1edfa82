"""Shared pieces of the solver tests: fake scorers with known accuracies and scripted answers.

A fake program carries its own verdict in marker comments, read by `FakeScorer` (the last marker
wins, so a program that continues a prefix is judged by its own markers):

    # fake-accuracy: 0.4       train accuracy the scorer reports
    # fake-raises              an exception in some steps (a bug to fix)
    # fake-load-error          a load-time failure (accuracy 0)
"""

from __future__ import annotations

import re
from pathlib import Path

from cwmb.solvers.checker import Failure, ProgramCheck
from cwmb.solvers.prompts import Task

#: Stand-in environment text for tests (the real one comes from the `descriptions` config).
STANDIN_DESCRIPTION = (
    "## Description\nA stand-in description for tests: a taxi moves on a 5x5 grid.\n\n"
    "## Action Space\nSix discrete actions.\n\n## Observation Space\nAn int in [0, 500).\n"
)
TASK = Task("Taxi-v4", STANDIN_DESCRIPTION)


def program(accuracy: float, *, tag: str = "", raises: bool = False, load_error: bool = False, extra: str = "") -> str:
    """A small fake world model whose markers tell `FakeScorer` its verdict."""
    lines = [
        "import math",
        f"# program {tag}",
        "class Environment:",
        "    def __init__(self):",
        "        self.state = 0",
        "    def set_state(self, state):",
        "        self.state = state",
        "    def step(self, action):",
        f"        return self.state, 0.0, False  # {tag}",
    ]
    if extra:
        lines.append(extra)
    lines.append(f"# fake-accuracy: {accuracy}")
    if raises:
        lines.append("# fake-raises")
    if load_error:
        lines.append("# fake-load-error")
    return "\n".join(lines) + "\n"


def answer(source: str, *, prose: bool = True) -> str:
    """An LLM-style answer around `source`."""
    text = f"```python\n{source}```\n"
    return f"Here is the program.\n\n{text}\nIt models the dynamics.\n" if prose else text


_PREFIX = re.compile(r"## Already written\n\n.*?```python\n(.*?)\n```", re.S)


def prefix_in(messages) -> str:
    """The prefix a generate prompt asks to continue ("" for a fresh program)."""
    match = _PREFIX.search(messages[-1]["content"])
    return match.group(1) + "\n" if match else ""


def prompt_kind(messages) -> str:
    content = messages[-1]["content"]
    if "## A transition it predicts wrongly" in content:
        return "improve"
    if "## The program fails" in content:
        return "fix"
    return "generate"


class FakeScorer:
    """``scorer(source, env_id)`` with verdicts read from the program's marker comments."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    def __call__(self, source: str, env_id: str) -> ProgramCheck:
        self.calls.append((source, env_id))
        accuracies = re.findall(r"# fake-accuracy: ([0-9.]+)", source)
        accuracy = float(accuracies[-1]) if accuracies else 0.0
        tail = source[source.rfind("# fake-accuracy") :] if accuracies else source
        mispredictions = [f"transition {i}: state {i}, action 1 -> true next state {i + 1}, predicted {i}" for i in range(3)]
        if "# fake-load-error" in tail:
            failure = Failure("syntax_error", "SyntaxError: invalid syntax", 'File "cwm.py", line 3\n    def step(self action):')
            return ProgramCheck(0.0, failure, [], [])
        step_errors = []
        if "# fake-raises" in tail:
            step_errors = [Failure("exception", "ZeroDivisionError: division by zero",
                                   'File "cwm.py", line 9, in step\n    return 1 / 0\nZeroDivisionError: division by zero')]
        return ProgramCheck(accuracy, None, mispredictions if accuracy < 1 else [], step_errors)


def scripted_programs(specs):
    """A responder for `ScriptedBackend`: call i answers with the program of ``specs[i]``.

    Each spec is ``(accuracy, raises)`` or an accuracy. Generate answers repeat the prefix of the
    prompt first, like a model continuing a program.
    """

    def respond(messages, number):
        spec = specs[number]
        accuracy, raises = spec if isinstance(spec, tuple) else (spec, False)
        body = program(accuracy, tag=f"call{number + 1}", raises=raises)
        prefix = prefix_in(messages) if prompt_kind(messages) == "generate" else ""
        return answer(prefix + body)

    return respond


def write_descriptions(path: Path, env_ids=("Taxi-v4",)) -> Path:
    import json

    path.write_text("".join(json.dumps({"env_id": e, "description": STANDIN_DESCRIPTION}) + "\n" for e in env_ids))
    return path
