"""What a solver learns about a candidate program: the harness's sandboxed check, seen from outside.

Solvers never execute candidate programs in their own process. They hand the source text to a
*scorer*, ``scorer(source, env_id) -> ProgramCheck``, which by default is the harness's
`cwmb.evaluate.check_program` on the **train** split (sandboxed, with time and memory limits).
Tests pass fake scorers with known accuracies instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cwmb.errors import CWMBError


@dataclass(frozen=True)
class Failure:
    """One failure of a candidate program, as the sandbox reported it."""

    category: str
    """Failure category: syntax_error, import_error, missing_class, exception, timeout, memory,
    crash, bad_output or forbidden_import (see `cwmb.errors.FAILURE_CATEGORIES`)."""
    message: str
    """One-line message, e.g. ``ZeroDivisionError: division by zero``."""
    traceback: str
    """Cleaned traceback that shows the offending line of the program."""


@dataclass(frozen=True)
class ProgramCheck:
    """The harness's verdict on one candidate program (train split, `cwmb-v1` accuracy)."""

    accuracy: float
    """Transition accuracy in [0, 1]; 0.0 when the program failed to load."""
    failure: Failure | None = None
    """Load-time failure (the program could not be imported or instantiated), else None."""
    mispredictions: list[str] = field(default_factory=list)
    """Readable blocks describing mispredicted transitions (inputs, ground truth, prediction)."""
    step_errors: list[Failure] = field(default_factory=list)
    """Exceptions raised while stepping individual transitions (the first few)."""

    @property
    def raised(self) -> bool:
        """True when the program has a bug to fix: a load failure or an exception in some step."""
        return self.failure is not None or bool(self.step_errors)

    @property
    def first_error(self) -> Failure | None:
        """The error a *fix* prompt shows: the load failure, else the first step error."""
        if self.failure is not None:
            return self.failure
        return self.step_errors[0] if self.step_errors else None


#: ``scorer(source, env_id) -> ProgramCheck``; must evaluate on the train split only.
Scorer = Callable[[str, str], ProgramCheck]


class ScorerUnavailable(CWMBError):
    """The harness's program checker (`cwmb.evaluate.check_program`) is not available."""


def default_scorer() -> Scorer:
    """The harness's sandboxed checker on the train split, imported only when asked for.

    Raises:
        ScorerUnavailable: `cwmb.evaluate.check_program` does not exist in this installation.
    """
    try:
        from cwmb.evaluate import check_program
    except ImportError as error:  # the module, or the function in it, is missing
        raise ScorerUnavailable(
            f"cannot score candidate programs: `cwmb.evaluate.check_program` is not available ({error}). "
            "Install a CWMB version whose harness provides it, or pass a scorer explicitly."
        ) from None

    def train_scorer(source: str, env_id: str) -> ProgramCheck:
        return check_program(source, env_id, split="train")

    return train_scorer
