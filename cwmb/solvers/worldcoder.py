"""WorldCoder baseline, as the GIF-MCTS paper re-implemented it for the CWMB comparison.

WorldCoder (Tang, Key, Ellis, 2024) writes one program, then keeps refining programs chosen by
REx, the Thompson-sampling rule of "Code Repair with LLMs gives an Exploration-Exploitation
Tradeoff" (Tang et al., 2024): each program ρ with heuristic value h(ρ) (here its train accuracy)
that has been refined N(ρ) times is drawn a score from

    Beta(1 + C·h(ρ), 1 + C·(1 − h(ρ)) + N(ρ))

and the program with the highest draw is refined next. A refinement uses the same prompts as
GIF-MCTS: *fix* when the program raises, *improve* (one mispredicted transition) otherwise. Same
budget as GIF-MCTS (LLM calls), same early stop at accuracy 1.0, same scorer.

C = 5 is our default (REx's heuristic weight; the value used for the paper's baseline is not
recorded in ``paper_results.json``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cwmb.solvers.checker import Scorer
from cwmb.solvers.common import Node, ProgramSearch, Progress, SolveResult
from cwmb.solvers.llm.transcript import RecordingLLM
from cwmb.solvers.prompts import Task, fix_messages, generate_messages, improve_messages


@dataclass(frozen=True)
class WorldCoderConfig:
    """WorldCoder settings."""

    budget: int = 50
    """LLM calls: one generation, then refinements."""
    heuristic_weight: float = 5.0
    """C of REx's Beta(1 + C·h, 1 + C·(1 − h) + N)."""
    seed: int = 0
    """Seed of the solver's generator (Thompson draws, choice of the mispredicted transition)."""


class WorldCoder(ProgramSearch):
    """``WorldCoder(task, llm, scorer, config).run()``."""

    method = "worldcoder"

    def __init__(self, task: Task, llm: RecordingLLM, scorer: Scorer, config: WorldCoderConfig = WorldCoderConfig()):
        super().__init__(task, llm, scorer, budget=config.budget, seed=config.seed)
        self.config = config

    def run(self, progress: Progress | None = None) -> SolveResult:
        # The first call writes a program from the description alone.
        answer, tokens = self.ask(generate_messages(self.task), "generate")
        program = self.extract(answer)
        self.record(self.add_node(self.root, "generate", program, program, tokens), progress)
        while not self.done:
            chosen = self.choose()
            chosen.refinements += 1
            self.record(self.refine(chosen), progress)
        return self.result()

    def choose(self) -> Node:
        """REx: the program with the highest Thompson draw (the first among equal draws)."""
        c = self.config.heuristic_weight
        draws = [
            (self.rng.betavariate(1 + c * node.accuracy, 1 + c * (1 - node.accuracy) + node.refinements), node)
            for node in self.nodes[1:]
        ]
        return max(draws, key=lambda draw: draw[0])[1]

    def refine(self, node: Node) -> Node:
        if node.raised:
            action, messages = "fix", fix_messages(self.task, node.program, node.check.first_error)
        else:
            action, messages = "improve", improve_messages(self.task, node.program, self.misprediction(node))
        answer, tokens = self.ask(messages, action)
        program = self.extract(answer)
        return self.add_node(node, action, program, program, tokens)

    def config_json(self) -> dict[str, Any]:
        return asdict(self.config)
