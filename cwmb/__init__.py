"""CWMB: the Code World Models Benchmark (dataset, sandboxed harness, leaderboard).

Names are imported on first use (PEP 562): the sandbox worker imports this package too, and must
start fast without pyarrow, datasets or the simulators.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    # environments
    "ENV_IDS": "cwmb.registry",
    "EnvRecord": "cwmb.registry",
    "get_env": "cwmb.registry",
    # dataset
    "Transitions": "cwmb.dataset.load",
    "load": "cwmb.dataset.load",
    "load_transitions": "cwmb.dataset.load",
    "read_split": "cwmb.dataset.load",
    # evaluation
    "evaluate": "cwmb.evaluate",
    "check_program": "cwmb.evaluate",
    "get_protocol": "cwmb.protocols",
    # results
    "read_result": "cwmb.results",
    "write_result": "cwmb.results",
    # errors
    "CWMBError": "cwmb.errors",
    "DatasetError": "cwmb.errors",
    "SubmissionError": "cwmb.errors",
    "UnknownEnvironment": "cwmb.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cwmb' has no attribute {name!r}")
