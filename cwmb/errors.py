"""CWMB's exceptions. Every message names the problem and the fix, on one line."""

from __future__ import annotations


class CWMBError(Exception):
    """Base class of every error CWMB raises on purpose."""


class UnknownEnvironment(CWMBError, KeyError):
    """An environment id that is not one of the 18 (the message lists them)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class DatasetError(CWMBError):
    """Missing, corrupt or mismatched dataset files (the message names the file)."""


class UnsafePickle(CWMBError):
    """A pickle asked for a class outside the importer's allow-list; nothing was executed."""


class PublishError(CWMBError):
    """Publishing to the Hugging Face Hub failed (no token, no network, or a refused upload)."""


class SandboxError(CWMBError):
    """The harness could not start or talk to a sandbox worker (not the submission's fault)."""


# Submission failures. `category` is the contract: result files record it, and the sandbox returns it.


class SubmissionError(CWMBError):
    """A submitted code world model failed; `category` names how, `traceback` shows where."""

    category = "submission_error"

    def __init__(self, message: str, traceback: str = ""):
        super().__init__(message)
        self.message = message
        self.traceback = traceback


class SubmissionSyntaxError(SubmissionError):
    """The submission is not valid Python (the message gives the line)."""

    category = "syntax_error"


class SubmissionImportError(SubmissionError):
    """The submission imports a module that is not installed."""

    category = "import_error"


class MissingEnvironmentClass(SubmissionError):
    """The submission defines no `Environment` class with `set_state` and `step`."""

    category = "missing_class"


class SubmissionException(SubmissionError):
    """The submission raised: at import, in `Environment()`, `set_state` or `step`."""

    category = "exception"


class SubmissionTimeout(SubmissionError):
    """A call ran past its time limit (per step, CPU time, or the evaluation's wall-clock budget)."""

    category = "timeout"


class SubmissionMemoryError(SubmissionError):
    """The submission ran out of its memory limit."""

    category = "memory"


class SubmissionCrash(SubmissionError):
    """The worker process died (segfault, `os._exit`, a signal) or sent a malformed message."""

    category = "crash"


class BadOutput(SubmissionError):
    """`step` returned something other than a finite next state of the input's type and shape, a finite
    real reward and a bool done."""

    category = "bad_output"


class ForbiddenImport(SubmissionError):
    """The submission imports a real simulator (gymnasium, mujoco, ...) or the harness itself."""

    category = "forbidden_import"


#: Category string -> exception class, for every failure a submission can have.
FAILURE_CATEGORIES: dict[str, type[SubmissionError]] = {
    cls.category: cls
    for cls in (SubmissionSyntaxError, SubmissionImportError, MissingEnvironmentClass, SubmissionException,
                SubmissionTimeout, SubmissionMemoryError, SubmissionCrash, BadOutput, ForbiddenImport)
}

#: Failures that concern the whole submission: reported once, at load time, not per transition.
LOAD_CATEGORIES = frozenset({"syntax_error", "import_error", "missing_class", "forbidden_import"})
