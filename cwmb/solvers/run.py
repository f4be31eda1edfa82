"""Run a solver on one environment and write its part of a submission folder.

A submission folder made by ``cwmb-solve`` holds:

- ``<env_id>.py`` — the best program for each environment (what ``cwmb-eval`` scores);
- ``submission.json`` — name, method, model, LLM-call budget, seed, url, the solver settings,
  a per-environment summary (train accuracy, calls and tokens used) and, when given, ``model_info``
  (``--model-info``: weights checksum, quantisation, server);
- ``transcript.jsonl`` — every LLM call of every environment (prompt, completion, model,
  parameters, tokens, latency): the cache that resumes an interrupted run and replays a finished one;
- ``trees/<env_id>.json`` — the whole search (every node, program, score and step).

Every file is written atomically (a temporary file, then a rename); the transcript is appended
one fsynced line per call.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cwmb.solvers.checker import Scorer
from cwmb.solvers.common import ProgramSearch, Progress, SolveResult
from cwmb.solvers.gif_mcts import GIFMCTS, GIFMCTSConfig
from cwmb.solvers.llm.base import LLMBackend, SamplingParams
from cwmb.solvers.llm.transcript import RecordingLLM
from cwmb.solvers.prompts import Task
from cwmb.solvers.worldcoder import WorldCoder, WorldCoderConfig
from cwmb.solvers.zero_shot import ZeroShot, ZeroShotConfig

METHODS = ("gif-mcts", "worldcoder", "zero-shot")
TRANSCRIPT = "transcript.jsonl"
SUBMISSION = "submission.json"
TREES = "trees"


def make_solver(method: str, task: Task, llm: RecordingLLM, scorer: Scorer, *, budget: int, seed: int) -> ProgramSearch:
    """The solver called `method` (``gif-mcts``, ``worldcoder`` or ``zero-shot``) with the paper's settings."""
    if method == "gif-mcts":
        return GIFMCTS(task, llm, scorer, GIFMCTSConfig(budget=budget, seed=seed))
    if method == "worldcoder":
        return WorldCoder(task, llm, scorer, WorldCoderConfig(budget=budget, seed=seed))
    if method == "zero-shot":
        return ZeroShot(task, llm, scorer, ZeroShotConfig(seed=seed))
    raise ValueError(f"unknown method {method!r}; valid methods: {', '.join(METHODS)}")


@dataclass(frozen=True)
class RunSettings:
    """What identifies a solver run; recorded in ``submission.json`` and every tree."""

    name: str
    """Submission name (the folder name by default)."""
    method: str
    """``gif-mcts``, ``worldcoder`` or ``zero-shot``."""
    budget: int
    """LLM calls allowed per environment (zero-shot: 1)."""
    seed: int
    """Solver seed, also sent as the sampling seed."""
    params: SamplingParams
    """Sampling parameters of every call."""
    url: str | None = None
    """Where the submission is described (paper, repository)."""
    model_info: dict[str, Any] | None = None
    """What identifies the model beyond its name (weights file and checksum, quantisation, server);
    written into ``submission.json`` as given (None: keep what an earlier run wrote)."""

    @property
    def effective_budget(self) -> int:
        """Calls one environment may use: the budget, or 1 for zero-shot."""
        return 1 if self.method == "zero-shot" else self.budget


def solve_env(
    out: str | Path,
    task: Task,
    backend: LLMBackend,
    scorer: Scorer,
    settings: RunSettings,
    *,
    progress: Progress | None = None,
) -> SolveResult:
    """Solve one environment, append its calls to ``OUT/transcript.jsonl``, write its program and tree.

    Calls already in the transcript are answered from it, so running the same command again
    resumes an interrupted run (and replays a finished one) without contacting the LLM.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    context = {"env_id": task.env_id, "method": settings.method, "seed": settings.seed}
    llm = RecordingLLM(backend, settings.params, transcript=out / TRANSCRIPT, context=context)
    solver = make_solver(settings.method, task, llm, scorer, budget=settings.budget, seed=settings.seed)
    result = solver.run(progress)
    write_env_outputs(out, result, settings)
    return result


def finished_tree(out: str | Path, env_id: str, settings: RunSettings, model: str) -> dict[str, Any] | None:
    """The tree of a finished run of the same settings in `out`, else None."""
    path = Path(out) / TREES / f"{env_id}.json"
    if not path.is_file() or not (Path(out) / f"{env_id}.py").is_file():
        return None
    try:
        tree = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None
    same = (
        tree.get("method") == settings.method
        and tree.get("model") == model
        and tree.get("params") == settings.params.to_json()
        and tree.get("config", {}).get("budget") == settings.effective_budget
        and tree.get("config", {}).get("seed") == settings.seed
    )
    return tree if same else None


def program_header(result: SolveResult, settings: RunSettings, model: str) -> str:
    return (
        f"# Code world model for {result.env_id}, written by cwmb-solve ({settings.method}, model {model}, "
        f"seed {settings.seed}).\n"
        f"# Train accuracy {result.accuracy:.4f} after {result.calls} of {settings.effective_budget} LLM calls.\n"
    )


def write_env_outputs(out: Path, result: SolveResult, settings: RunSettings) -> None:
    model = result.tree["model"]
    write_atomically(out / f"{result.env_id}.py", program_header(result, settings, model) + result.program)
    write_atomically(out / TREES / f"{result.env_id}.json", json.dumps(result.tree, indent=1, ensure_ascii=False) + "\n")


def write_submission_json(out: str | Path, settings: RunSettings, model: str, trees: dict[str, dict[str, Any]]) -> Path:
    """(Re)write ``submission.json`` from the settings and the trees of the environments solved."""
    out = Path(out)
    path = out / SUBMISSION
    existing = {}
    if path.is_file():
        try:
            existing = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            existing = {}
    envs = dict(existing.get("envs", {}))
    for env_id, tree in sorted(trees.items()):
        envs[env_id] = {"train_accuracy": tree["best_accuracy"], "llm_calls_used": tree["calls"], "tokens": tree["tokens"]}
    budget = settings.effective_budget
    submission = {
        "name": settings.name,
        "method": settings.method,
        "model": model,
        "llm_calls": budget,
        "seed": settings.seed,
        "url": settings.url,
        "description": (
            f"{settings.method} (cwmb.solvers) with {model}, {budget} LLM call(s) per environment, seed {settings.seed}; "
            "programs selected on the train split only."
        ),
        "solver": {"sampling": settings.params.to_json(), "transcript": TRANSCRIPT, "trees": TREES},
        "envs": dict(sorted(envs.items())),
    }
    model_info = settings.model_info if settings.model_info is not None else existing.get("model_info")
    if model_info is not None:
        submission["model_info"] = model_info
    write_atomically(path, json.dumps(submission, indent=2, ensure_ascii=False) + "\n")
    return path


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
