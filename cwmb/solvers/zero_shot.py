"""Zero-shot baseline: one LLM call writes the program; it is scored once and returned."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cwmb.solvers.checker import Scorer
from cwmb.solvers.common import ProgramSearch, Progress, SolveResult
from cwmb.solvers.llm.transcript import RecordingLLM
from cwmb.solvers.prompts import Task, generate_messages


@dataclass(frozen=True)
class ZeroShotConfig:
    """Zero-shot settings (the budget is always one call)."""

    seed: int = 0
    """Seed sent with the LLM request."""


class ZeroShot(ProgramSearch):
    """``ZeroShot(task, llm, scorer).run()``."""

    method = "zero-shot"

    def __init__(self, task: Task, llm: RecordingLLM, scorer: Scorer, config: ZeroShotConfig = ZeroShotConfig()):
        super().__init__(task, llm, scorer, budget=1, seed=config.seed)
        self.config = config

    def run(self, progress: Progress | None = None) -> SolveResult:
        answer, tokens = self.ask(generate_messages(self.task), "generate")
        program = self.extract(answer)
        self.record(self.add_node(self.root, "generate", program, program, tokens), progress)
        return self.result()

    def config_json(self) -> dict[str, Any]:
        return {"budget": 1, **asdict(self.config)}
