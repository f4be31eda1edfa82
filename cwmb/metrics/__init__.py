"""Scoring a code world model: the comparator, transition accuracy, normalised return and means.

Both protocols side by side: `cwmb-v1` (the default, with stated tolerances and `done` = termination)
and `paper-2024` (the paper's metric exactly as its code computed it). Beside them, under every
protocol, the graded errors (`graded.py`: 1 - R², balanced termination, open-loop rollout error).
"""

from __future__ import annotations

# Comparison
from cwmb.metrics.compare import (
    CWMB_V1_ATOL,
    CWMB_V1_RTOL,
    PAPER_2024_ATOL,
    PAPER_2024_RTOL,
    PROTOCOLS,
    elements_equal,
    states_equal,
)

# Transition accuracy
from cwmb.metrics.accuracy import SCORERS, AccuracyResult, Misprediction, score_paper_2024, score_v1

# Graded errors (beside the protocols' accuracy)
from cwmb.metrics.graded import (
    GRADED_REVISION,
    ROLLOUT_HORIZONS,
    ROLLOUT_STRIDE,
    balanced_accuracy,
    graded_errors,
    normalised_squared_error,
    rollout_plan,
)

# Returns and means over environments
from cwmb.metrics.normalise import (
    ADVANTAGE_MIN_STANDARD_ERRORS,
    GroupMean,
    NotApplicable,
    NotMeasured,
    aggregate,
    bootstrap_ci,
    normalised_return,
    reference_advantage,
)

__all__ = [
    # comparison
    "CWMB_V1_ATOL",
    "CWMB_V1_RTOL",
    "PAPER_2024_ATOL",
    "PAPER_2024_RTOL",
    "PROTOCOLS",
    "elements_equal",
    "states_equal",
    # transition accuracy
    "SCORERS",
    "AccuracyResult",
    "Misprediction",
    "score_paper_2024",
    "score_v1",
    # graded errors
    "GRADED_REVISION",
    "ROLLOUT_HORIZONS",
    "ROLLOUT_STRIDE",
    "balanced_accuracy",
    "graded_errors",
    "normalised_squared_error",
    "rollout_plan",
    # returns and means
    "ADVANTAGE_MIN_STANDARD_ERRORS",
    "GroupMean",
    "NotApplicable",
    "NotMeasured",
    "aggregate",
    "bootstrap_ci",
    "normalised_return",
    "reference_advantage",
]
