"""Reference solvers: GIF-MCTS, the WorldCoder baseline and zero-shot, over pluggable LLM backends.

The solvers sit beside the pipeline: they use the harness (its sandboxed checker scores every
candidate program on the train split) and nothing in the harness uses them. See
``cwmb/solvers/README.md`` for the commands that reproduce the paper's settings.
"""

from __future__ import annotations

# Scoring candidates (the harness's checker, or a stand-in)
from cwmb.solvers.checker import Failure, ProgramCheck, Scorer, default_scorer

# Solvers
from cwmb.solvers.common import SolveResult
from cwmb.solvers.gif_mcts import GIFMCTS, GIFMCTSConfig
from cwmb.solvers.prompts import Task, load_description
from cwmb.solvers.run import make_solver, solve_env
from cwmb.solvers.worldcoder import WorldCoder, WorldCoderConfig
from cwmb.solvers.zero_shot import ZeroShot

__all__ = [
    # scoring
    "Failure",
    "ProgramCheck",
    "Scorer",
    "default_scorer",
    # solvers
    "GIFMCTS",
    "GIFMCTSConfig",
    "SolveResult",
    "Task",
    "WorldCoder",
    "WorldCoderConfig",
    "ZeroShot",
    "load_description",
    "make_solver",
    "solve_env",
]
