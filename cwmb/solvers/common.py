"""What the three solvers share: program nodes, the call-and-score step, results and the tree JSON.

A solver owns a `RecordingLLM` (the budget counts its calls) and a scorer (the harness's sandboxed
checker on the train split). It never executes a candidate program itself: programs are strings
that go to the scorer, and the scorer's `ProgramCheck` is all the solver learns about them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cwmb.solvers.checker import Failure, ProgramCheck, Scorer, as_program_check
from cwmb.solvers.extract import extract_code
from cwmb.solvers.llm.base import Message
from cwmb.solvers.llm.transcript import RecordingLLM
from cwmb.solvers.prompts import Task

#: Failure given to a program the LLM answer did not contain (never sent to the sandbox).
NO_CODE = Failure("missing_class", "the LLM answer contained no Python code", "")

NO_EXAMPLE = "(the harness reported no example of a mispredicted transition)"


@dataclass(eq=False)
class Node:
    """One program of a search: how it was made, what it is, how it scored."""

    id: int
    action: str
    """``root``, ``generate``, ``improve`` or ``fix``."""
    parent: Node | None
    code: str
    """The node's state. For root and generate nodes of GIF-MCTS: the prefix its generate children
    continue; otherwise the whole program."""
    program: str
    """The complete program that was scored (a generate node's rollout); "" at the root."""
    check: ProgramCheck | None
    """The scorer's verdict on `program` (None at the root)."""
    call: int
    """Number of the LLM call that made this node (0 at the root)."""
    tokens: int = 0
    """Prompt plus completion tokens of that call."""
    children: list[Node] = field(default_factory=list)
    # GIF-MCTS statistics (unused by the other solvers).
    visits: int = 0
    value_sum: float = 0.0
    fix_depth: int = 0
    """Consecutive fixes that led to this node from the program that first raised."""
    temporary_value: float | None = None
    """Value a buggy node carries until it has been fixed (GIF-MCTS)."""
    refinements: int = 0
    """Times this program was refined (WorldCoder's Thompson sampling)."""

    @property
    def accuracy(self) -> float:
        return self.check.accuracy if self.check is not None else 0.0

    @property
    def raised(self) -> bool:
        return self.check is not None and self.check.raised

    @property
    def q(self) -> float:
        """Mean backed-up value of the subtree (GIF-MCTS)."""
        return self.value_sum / self.visits if self.visits else 0.0

    def to_json(self) -> dict[str, Any]:
        check = self.check
        error = check.first_error if check is not None else None
        return {
            "id": self.id,
            "parent": self.parent.id if self.parent is not None else None,
            "action": self.action,
            "call": self.call,
            "tokens": self.tokens,
            "accuracy": self.accuracy,
            "raised": self.raised,
            "load_failure": None if check is None or check.failure is None else check.failure.category,
            "error": None if error is None else {"category": error.category, "message": error.message},
            "step_errors": 0 if check is None else len(check.step_errors),
            "mispredictions": 0 if check is None else len(check.mispredictions),
            "visits": self.visits,
            "value": round(self.q, 12),
            "fix_depth": self.fix_depth,
            "temporary_value": self.temporary_value,
            "refinements": self.refinements,
            "children": [c.id for c in self.children],
            "code": self.code,
            "program": self.program,
        }


@dataclass(frozen=True)
class Step:
    """One LLM call of a search, as progress reports and the tree JSON show it."""

    call: int
    action: str
    parent: int
    node: int
    accuracy: float
    raised: bool
    best_accuracy: float
    tokens: int
    """Tokens used by the run so far."""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SolveResult:
    """What a solver returns for one environment."""

    env_id: str
    method: str
    program: str
    """The best program found (highest train accuracy; the earliest among ties)."""
    accuracy: float
    """Its train accuracy as the scorer measured it."""
    calls: int
    """LLM calls used (at most the budget; fewer when a program reached accuracy 1.0)."""
    tokens: int
    steps: list[Step]
    tree: dict[str, Any]
    """The whole search as JSON (nodes, steps, configuration)."""


Progress = Callable[[Step], None]


class ProgramSearch:
    """Base of the solvers: asks the LLM, scores programs, keeps nodes, steps and the best one."""

    method = "abstract"

    def __init__(self, task: Task, llm: RecordingLLM, scorer: Scorer, *, budget: int, seed: int):
        if budget < 1:
            raise ValueError(f"budget must be at least 1 LLM call, got {budget}")
        self.task = task
        self.llm = llm
        self.scorer = scorer
        self.budget = budget
        self.rng = random.Random(seed)
        """The solver's own generator (choice of the mispredicted transition, Thompson sampling)."""
        self._checks: dict[str, ProgramCheck] = {}
        self.root = Node(0, "root", None, "", "", None, 0)
        self.nodes: list[Node] = [self.root]
        self.steps: list[Step] = []
        self.best: Node | None = None

    # -- the LLM and the scorer ----------------------------------------------------------------

    def ask(self, messages: list[Message], action: str) -> tuple[str, int]:
        """One LLM call: (answer text, tokens it used)."""
        before = self.llm.tokens
        completion = self.llm.complete(messages, tag=action)
        return completion.text, self.llm.tokens - before

    def score(self, program: str) -> ProgramCheck:
        """The scorer's verdict, computed once per distinct program."""
        if not program.strip():
            return ProgramCheck(0.0, NO_CODE)
        if program not in self._checks:
            self._checks[program] = as_program_check(self.scorer(program, self.task.env_id))
        return self._checks[program]

    @staticmethod
    def extract(answer: str) -> str:
        return extract_code(answer)

    def misprediction(self, node: Node) -> str:
        """One mispredicted transition of `node`'s program, drawn with the solver's generator."""
        examples = node.check.mispredictions if node.check is not None else []
        return self.rng.choice(examples) if examples else NO_EXAMPLE

    # -- bookkeeping --------------------------------------------------------------------------

    def add_node(self, parent: Node, action: str, code: str, program: str, tokens: int, **extra) -> Node:
        node = Node(len(self.nodes), action, parent, code, program, self.score(program), self.llm.calls, tokens, **extra)
        parent.children.append(node)
        self.nodes.append(node)
        if self.best is None or node.accuracy > self.best.accuracy:
            self.best = node
        return node

    def record(self, node: Node, progress: Progress | None) -> None:
        step = Step(
            node.call, node.action, node.parent.id, node.id, node.accuracy, node.raised,
            self.best_accuracy, self.llm.tokens,
        )
        self.steps.append(step)
        if progress is not None:
            progress(step)

    @property
    def best_accuracy(self) -> float:
        return self.best.accuracy if self.best is not None else 0.0

    @property
    def done(self) -> bool:
        """Budget spent, or a program predicts every train transition."""
        return self.llm.calls >= self.budget or self.best_accuracy >= 1.0

    @property
    def actions(self) -> list[str]:
        """The action of every call so far, in order."""
        return [step.action for step in self.steps]

    def config_json(self) -> dict[str, Any]:
        return {"budget": self.budget}

    def result(self) -> SolveResult:
        best = self.best
        tree = {
            "method": self.method,
            "env_id": self.task.env_id,
            "model": self.llm.model,
            "params": self.llm.params.to_json(),
            "config": self.config_json(),
            "calls": self.llm.calls,
            "tokens": self.llm.tokens,
            "best_node": best.id if best is not None else None,
            "best_accuracy": self.best_accuracy,
            "steps": [s.to_json() for s in self.steps],
            "nodes": [n.to_json() for n in self.nodes],
        }
        return SolveResult(
            self.task.env_id, self.method, best.program if best is not None else "", self.best_accuracy,
            self.llm.calls, self.llm.tokens, list(self.steps), tree,
        )
