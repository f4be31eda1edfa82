"""The CWMB leaderboard: a validated store of result files and its renderings.

Pipeline: `cwmb-eval` writes a result file -> `cwmb-leaderboard add` checks it into `results/`
(`leaderboard.store`) -> `cwmb-leaderboard build` aggregates (`leaderboard.aggregate`, `leaderboard.table`)
and renders `README.md`, `site/index.html` and `site/plots/` (`leaderboard.render`, `leaderboard.plots`,
`leaderboard.build`). The paper's printed numbers enter as *reported* rows (`leaderboard.reported`).

The leaderboard reads result JSON only (never the harness), so it renders results of any harness version.
"""

from __future__ import annotations

# Store
from leaderboard.store import RESULTS_DIR, Rejected, Store

# Aggregation
from leaderboard.aggregate import aggregate, bootstrap_ci

__all__ = [
    # store
    "RESULTS_DIR",
    "Rejected",
    "Store",
    # aggregation
    "aggregate",
    "bootstrap_ci",
]
