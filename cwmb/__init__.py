"""CWMB: the Code World Models Benchmark (dataset, sandboxed harness, leaderboard)."""

from __future__ import annotations

__version__ = "0.1.0"

# Environments
from cwmb.registry import ENV_IDS, EnvRecord, get_env

# Dataset
from cwmb.dataset.load import Transitions, load, load_transitions, read_split

# Errors
from cwmb.errors import CWMBError, DatasetError, UnknownEnvironment

__all__ = [
    "__version__",
    # environments
    "ENV_IDS",
    "EnvRecord",
    "get_env",
    # dataset
    "Transitions",
    "load",
    "load_transitions",
    "read_split",
    # errors
    "CWMBError",
    "DatasetError",
    "UnknownEnvironment",
]
