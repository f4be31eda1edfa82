"""What a solver learns about a candidate program: the harness's sandboxed check, seen from outside.

Solvers never execute candidate programs in their own process. They hand the source text to a
*scorer*, ``scorer(source, env_id) -> ProgramCheck``, which by default is the harness's
`cwmb.evaluate.check_program` on the **train** split (sandboxed, with time and memory limits).
Tests pass fake scorers with known accuracies instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cwmb.errors import CWMBError
from cwmb.evaluate import ProgramCheck
from cwmb.sandbox.client import Failure

__all__ = ["Failure", "ProgramCheck", "Scorer", "as_failure", "as_program_check", "default_scorer"]


#: ``scorer(source, env_id) -> ProgramCheck``; must evaluate on the train split only.
Scorer = Callable[[str, str], ProgramCheck]


def as_failure(failure: Any) -> Failure:
    """Any object with category, message and traceback (the sandbox's `Failure`) as a `Failure`."""
    if isinstance(failure, Failure):
        return failure
    return Failure(str(failure.category), str(failure.message), str(getattr(failure, "traceback", "") or ""))


def as_program_check(check: Any) -> ProgramCheck:
    """A scorer's answer (this `ProgramCheck` or any object with the same four fields) as a `ProgramCheck`."""
    if isinstance(check, ProgramCheck):
        return check
    failure = getattr(check, "failure", None)
    return ProgramCheck(
        accuracy=float(check.accuracy),
        failure=None if failure is None else as_failure(failure),
        mispredictions=[str(m) for m in getattr(check, "mispredictions", [])],
        step_errors=[as_failure(f) for f in getattr(check, "step_errors", [])],
    )


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
        return as_program_check(check_program(source, env_id, split="train"))

    return train_scorer
