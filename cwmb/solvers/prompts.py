"""CWMB's prompt templates for the three actions: generate, improve and fix.

Every prompt is a system message plus one user message holding the environment's description
(from the dataset's ``descriptions`` config), the code world model contract with the native
types of this environment's states and actions, and the action's own material:

- **generate**: write the program, or continue it from lines already written (a GIF-MCTS prefix);
- **improve**: the program plus one transition it mispredicts (inputs, ground truth, prediction);
  explain the discrepancy first, then give the corrected program;
- **fix**: the program plus the cleaned traceback with the offending line; explain, then correct.

The descriptions are read here (`load_description`), from the train-side ``descriptions`` config
only; no prompt ever sees test data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cwmb.errors import DatasetError
from cwmb.registry import EnvRecord, get_env
from cwmb.solvers.checker import Failure
from cwmb.solvers.llm.base import Message

#: The packaged descriptions config (built by ``python -m data_builders.descriptions``).
DESCRIPTIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "descriptions" / "train-00000-of-00001.parquet"

SYSTEM_PROMPT = (
    "You are an expert Python programmer and reinforcement-learning researcher. You write exact, "
    "self-contained simulators of environments from their documentation."
)


@dataclass(frozen=True)
class Task:
    """What a solver is asked to model: one environment and its text."""

    env_id: str
    """CWMB environment id."""
    description: str
    """The environment's description (from the ``descriptions`` config, or given explicitly)."""

    @property
    def record(self) -> EnvRecord:
        return get_env(self.env_id)


def load_description(env_id: str, path: str | Path | None = None) -> str:
    """The description of `env_id` from a descriptions file (Parquet or JSONL with env_id, description).

    Default: the packaged ``descriptions`` config. The paper's ids are accepted (``Taxi-v3``).

    Raises:
        DatasetError: the file is missing or has no row for this environment.
    """
    record = get_env(env_id)
    path = Path(path) if path is not None else DESCRIPTIONS_FILE
    if not path.is_file():
        raise DatasetError(
            f"no descriptions file at {path}: build it with `python -m data_builders.descriptions`, "
            "or pass --descriptions PATH"
        )
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
    for row in rows:
        if row.get("env_id") in (record.env_id, record.paper_id, env_id):
            return row["description"]
    raise DatasetError(f"{path} has no description of {record.env_id}")


def _state_phrase(record: EnvRecord) -> str:
    if record.observation_kind == "int":
        return "an int"
    if record.observation_kind == "int_tuple":
        return "a tuple of ints"
    return f"a 1-D numpy array of {record.observation_dtype}"


def _action_phrase(record: EnvRecord) -> str:
    return "an int" if record.action_kind == "discrete" else "a 1-D numpy array of float64"


def contract(task: Task) -> str:
    """The code world model interface, with this environment's types."""
    record = task.record
    state, action = _state_phrase(record), _action_phrase(record)
    return f"""\
The program must define a class `Environment` with exactly this interface:

```python
class Environment:
    def __init__(self):
        ...

    def set_state(self, state):
        # state: {state}, an observation of the real environment
        ...

    def step(self, action):
        # action: {action}
        ...
        return next_state, reward, done
```

- `set_state` puts the simulator in the given observed state; `step` applies one action from it and
  returns the next observation ({state}, like `state`), the reward (a float) and `done` (a bool that
  is True only when the episode terminates; reaching the time limit is not termination).
- Use only the Python standard library and numpy. Do not import gymnasium, mujoco or any simulator."""


def _header(task: Task) -> str:
    return f"## Environment: {task.env_id}\n\n{task.description.strip()}\n\n## Code world model\n\n{contract(task)}"


def _chat(user: str) -> list[Message]:
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def _program_block(program: str) -> str:
    return f"```python\n{program.rstrip()}\n```"


def generate_messages(task: Task, prefix: str = "") -> list[Message]:
    """Ask for the whole program, continuing from `prefix` when lines are already written."""
    body = f"Write a Python program that simulates the environment described below.\n\n{_header(task)}\n\n"
    if prefix.strip():
        body += (
            "## Already written\n\nThe program starts with these lines. Keep them unchanged and "
            f"continue the program from where they stop:\n\n{_program_block(prefix)}\n\n"
        )
    body += "Answer with the complete program in a single ```python code block."
    return _chat(body)


def improve_messages(task: Task, program: str, misprediction: str) -> list[Message]:
    """Show one mispredicted transition; ask for an explanation, then the corrected program."""
    body = (
        f"Here is a Python program that simulates the environment described below.\n\n{_header(task)}\n\n"
        f"## Current program\n\n{_program_block(program)}\n\n"
        "## A transition it predicts wrongly\n\nThe true environment and the program disagree on this "
        f"transition from the dataset:\n\n{misprediction.strip()}\n\n"
        "First explain in a few sentences why the program's prediction differs from the true transition "
        "and what has to change. Then write the complete corrected program in a single ```python code block."
    )
    return _chat(body)


def fix_messages(task: Task, program: str, failure: Failure) -> list[Message]:
    """Show the error and its cleaned traceback; ask for an explanation, then the corrected program."""
    body = (
        f"Here is a Python program that simulates the environment described below.\n\n{_header(task)}\n\n"
        f"## Current program\n\n{_program_block(program)}\n\n"
        f"## The program fails\n\nRunning it fails with a {failure.category.replace('_', ' ')}: "
        f"{failure.message.strip()}\n\n```text\n{failure.traceback.strip()}\n```\n\n"
        "First explain in a few sentences what causes this error. Then write the complete corrected "
        "program in a single ```python code block."
    )
    return _chat(body)
