"""GIF-MCTS: Generate, Improve and Fix with Monte Carlo Tree Search, over programs.

Dainese, Merler, Alakuijala, Marttinen, "Generating Code World Models with Large Language Models
Guided by Monte Carlo Tree Search", NeurIPS 2024 (arXiv 2405.15383), Section 4. Written from the
paper's description; the numbers are the paper's (``gif_mcts_settings_paper``).

The tree holds programs. Each iteration spends exactly one LLM call:

1. **select** — from the root, follow UCT over the existing children *and* one "new child" per
   action the node allows, until a new child wins; (rule R1, R2)
2. **expand** — ask the LLM for that action (generate / improve / fix) and make the new node;
   (R3, R4, R5)
3. **evaluate** — its complete program goes to the harness's sandboxed checker; the node's value
   is the train accuracy (the program is never executed in this process); (R6)
4. **backpropagate** — add the value to every ancestor.

It stops when the budget of LLM calls is spent or a program reaches accuracy 1.0, and returns the
best program (R7).

The rules, each tested in ``tests/solvers/test_gif_mcts.py``:

R1  UCT(child) = Q(child) + C·sqrt(ln N(parent) / (N(child) + ε)), with C = 0.1 and ε = 1 (ε keeps the
    exploration term finite for unvisited actions).
R2  An action not yet tried at a node is valued by the running mean of the values of every node
    that action type has produced so far, started from a prior with pseudo-count 2:
    v̂(a) = (prior(a)·2 + Σ values of type a) / (2 + n(a)); priors generate 0.5, improve 0.55, fix 0.5.
R3  *generate* gives the LLM the node's code block and asks it to continue the program. The new node
    keeps the first 2 new (non-blank) lines as its code block, which its own generate children
    continue; the whole completed program is its rollout, and is what gets scored.
R4  *improve* gives the LLM the complete program and one transition it mispredicts (inputs, ground
    truth, prediction, drawn at random) and asks for an explanation, then the corrected program.
R5  *fix*: a program that raises (fails to load, or raises in some step) is buggy; its only action
    is fix (the program plus the cleaned traceback). A bug gets up to f = 3 chained fixes. Until its
    fix is scored, a buggy node at chain position k carries a temporary value that decreases with k,
    T_k = v̂(fix)·(f − k)/f, so that a bug that resists fixing is retried less and less; once fixed
    (or abandoned after f fixes), the node counts with its real accuracy.
R6  Value of a node = its train accuracy (cwmb-v1) from the sandboxed checker; discount 1.
R7  Budget = number of LLM calls; stop early at accuracy 1.0; return the best program (the highest
    accuracy, the earliest among ties).

Which actions a node allows: the root allows generate only; a bug-free generate node allows
generate and improve; a bug-free improve or fix node (a complete program) allows improve; a buggy
node allows one fix (the chain goes on from its fixed version) while k < f, and nothing afterwards.
The paper states the actions and the numbers; this enumeration and T_k are our reading of it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from cwmb.solvers.checker import Scorer
from cwmb.solvers.common import Node, ProgramSearch, Progress, SolveResult
from cwmb.solvers.llm.transcript import RecordingLLM
from cwmb.solvers.prompts import Task, fix_messages, generate_messages, improve_messages

ACTIONS = ("generate", "improve", "fix")


@dataclass(frozen=True)
class GIFMCTSConfig:
    """GIF-MCTS settings; the defaults are the paper's (``gif_mcts_settings_paper``)."""

    budget: int = 50
    """LLM calls the search may make (the paper: 50 with Llama 3 70B, 10 with GPT-4 Turbo)."""
    lines_per_generate: int = 2
    """New lines a generate node keeps as its code block (R3)."""
    ucb_c: float = 0.1
    """Exploration constant C of UCT (R1)."""
    eps: float = 1.0
    """ε added to the child's visit count in UCT (R1)."""
    discount: float = 1.0
    """Factor applied to a value per level as it is backed up (1: plain averages)."""
    prior_generate: float = 0.5
    """Prior value of an untried generate action (R2)."""
    prior_improve: float = 0.55
    """Prior value of an untried improve action (R2)."""
    prior_fix: float = 0.5
    """Prior value of an untried fix action (R2, R5)."""
    prior_count: float = 2.0
    """Pseudo-count of the priors in the running means (R2)."""
    max_fix_chain: int = 3
    """f: fixes a bug gets in a row before it is abandoned (R5)."""
    seed: int = 0
    """Seed of the solver's generator (choice of the mispredicted transition) and of the LLM sampling."""

    def prior(self, action: str) -> float:
        return {"generate": self.prior_generate, "improve": self.prior_improve, "fix": self.prior_fix}[action]


def uct(q: float, parent_visits: int, child_visits: int, c: float, eps: float) -> float:
    """R1: Q + C·sqrt(ln N(parent) / (N(child) + ε)); ln N is taken as 0 before the first visit."""
    return q + c * math.sqrt(math.log(max(parent_visits, 1)) / (child_visits + eps))


def first_lines(text: str, count: int) -> str:
    """The leading lines of `text` up to and including its `count`-th non-blank line (R3)."""
    kept, seen = [], 0
    for line in text.splitlines(keepends=True):
        if seen == count:
            break
        kept.append(line)
        seen += bool(line.strip())
    block = "".join(kept)
    return block if not block or block.endswith("\n") else block + "\n"


def continue_program(prefix: str, code: str) -> str:
    """The complete program a generate answer makes of `prefix` (R3).

    Models usually repeat the prefix and go on: the repeated lines are dropped. A continuation that
    does not repeat it is appended after it (a model that started over anyway redefines
    `Environment` later in the file, and the later definition is the one Python keeps).
    """
    if not prefix.strip():
        return code
    prefix = prefix if prefix.endswith("\n") else prefix + "\n"
    wanted = [line.rstrip() for line in prefix.splitlines()]
    lines = code.splitlines()
    if [line.rstrip() for line in lines[: len(wanted)]] == wanted:
        lines = lines[len(wanted):]
    rest = "\n".join(lines)
    return prefix + (rest + "\n" if rest.strip() else "")


class GIFMCTS(ProgramSearch):
    """The search for one environment: ``GIFMCTS(task, llm, scorer, config).run()``."""

    method = "gif-mcts"

    def __init__(self, task: Task, llm: RecordingLLM, scorer: Scorer, config: GIFMCTSConfig = GIFMCTSConfig()):
        super().__init__(task, llm, scorer, budget=config.budget, seed=config.seed)
        self.config = config
        # R2: per action type, the sum and number of the values of the nodes it produced.
        self.type_sums = {a: 0.0 for a in ACTIONS}
        self.type_counts = {a: 0 for a in ACTIONS}

    def run(self, progress: Progress | None = None) -> SolveResult:
        while not self.done:  # R7: one LLM call per iteration, stop at the budget or at accuracy 1.0
            node, action = self.select()
            child = self.expand(node, action)
            self.backpropagate(child)
            self.record(child, progress)
        return self.result()

    # -- R2: value of an untried action -------------------------------------------------------

    def action_value(self, action: str) -> float:
        c = self.config
        return (c.prior(action) * c.prior_count + self.type_sums[action]) / (c.prior_count + self.type_counts[action])

    # -- which actions a node allows (see the module docstring) ---------------------------------

    def allowed_actions(self, node: Node) -> tuple[str, ...]:
        if node.action == "root":
            return ("generate",)
        if node.raised:  # R5: one fix per buggy node (a chain, not a fan), at most f in a row
            return ("fix",) if not node.children and node.fix_depth < self.config.max_fix_chain else ()
        if node.action == "generate":
            return ("generate", "improve")
        return ("improve",)

    def is_open(self, node: Node) -> bool:
        """Something can still be expanded at or below `node`."""
        return bool(self.allowed_actions(node)) or any(self.is_open(child) for child in node.children)

    # -- 1. selection (R1, R2) ------------------------------------------------------------------

    def select(self) -> tuple[Node, str]:
        """Walk down by UCT until an untried action wins; return (node, action) to expand."""
        c = self.config
        node = self.root
        while True:
            options: list[tuple[float, Node | None, str]] = [
                (uct(child.q, node.visits, child.visits, c.ucb_c, c.eps), child, "")
                for child in node.children
                if self.is_open(child)
            ]
            options += [
                (uct(self.action_value(action), node.visits, 0, c.ucb_c, c.eps), None, action)
                for action in self.allowed_actions(node)
            ]
            # The first of equal scores wins: existing children before new ones, in creation order.
            _, child, action = max(options, key=lambda option: option[0])
            if child is None:
                return node, action
            node = child

    # -- 2. expansion and 3. evaluation (R3, R4, R5, R6) ----------------------------------------------

    def expand(self, node: Node, action: str) -> Node:
        task = self.task
        if action == "generate":  # R3
            answer, tokens = self.ask(generate_messages(task, node.code), action)
            program = continue_program(node.code, self.extract(answer))
            new_lines = program[len(node.code):] if program.startswith(node.code) else program
            code = node.code + first_lines(new_lines, self.config.lines_per_generate)
            child = self.add_node(node, action, code, program, tokens)
        elif action == "improve":  # R4
            messages = improve_messages(task, node.program, self.misprediction(node))
            answer, tokens = self.ask(messages, action)
            program = self.extract(answer)
            child = self.add_node(node, action, program, program, tokens)
        else:  # R5: fix
            answer, tokens = self.ask(fix_messages(task, node.program, node.check.first_error), action)
            program = self.extract(answer)
            child = self.add_node(node, action, program, program, tokens, fix_depth=node.fix_depth + 1)
        # R2: the running mean of this action type learns the real value of what it produced.
        self.type_sums[action] += child.accuracy
        self.type_counts[action] += 1
        return child

    # -- 4. backpropagation (R5, R6) ----------------------------------------------------------------

    def backpropagate(self, child: Node) -> None:
        parent = child.parent
        if parent.temporary_value is not None:
            # R5: the buggy parent has now been fixed (or tried again): it counts with its real value.
            self._add(parent, parent.accuracy - parent.temporary_value, visits=0)
            parent.temporary_value = None
        value = child.accuracy  # R6
        if child.raised and child.fix_depth < self.config.max_fix_chain:
            f = self.config.max_fix_chain
            child.temporary_value = self.action_value("fix") * (f - child.fix_depth) / f
            value = child.temporary_value
        self._add(child, value, visits=1)

    def _add(self, node: Node | None, value: float, *, visits: int) -> None:
        while node is not None:
            node.visits += visits
            node.value_sum += value
            value *= self.config.discount
            node = node.parent

    def config_json(self) -> dict[str, Any]:
        return asdict(self.config)
