"""Aggregates per action kind under each protocol's rules, and their bootstrap intervals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cwmb.registry import CONTINUOUS_ENV_IDS, DISCRETE_ENV_IDS
from leaderboard.aggregate import aggregate, bootstrap_ci, group_mean, group_values
from leaderboard.store import RESULTS_DIR
from tests.leaderboard.results_factory import evaluated

NOT_APPLICABLE = ("MountainCar-v0", "Acrobot-v1")


def test_paper_2024_leaves_na_discrete_envs_out_and_counts_failed_as_zero():
    values = {env: 0.8 for env in DISCRETE_ENV_IDS + CONTINUOUS_ENV_IDS}
    result = evaluated(protocol="paper-2024", normalised=values, not_applicable=NOT_APPLICABLE,
                       failed=("Taxi-v4", "Ant-v5", "Humanoid-v5"))
    cells = aggregate(result, "train")
    assert cells["discrete"]["normalised_return"]["n"] == 4  # 6 minus the two N/A; the failed Taxi counts 0
    assert cells["discrete"]["normalised_return"]["mean"] == pytest.approx(0.8 * 3 / 4)
    assert cells["continuous"]["normalised_return"]["n"] == 12
    assert cells["continuous"]["normalised_return"]["mean"] == pytest.approx(0.8 * 10 / 12)
    assert cells["discrete"]["accuracy"]["mean"] == pytest.approx(0.5 * 5 / 6)  # accuracy: failed = 0


def test_cwmb_v1_averages_every_env_with_failed_and_na_as_zero():
    result = evaluated(protocol="cwmb-v1", normalised=0.6, not_applicable=("Acrobot-v1",), failed=("Pusher-v5",))
    cells = aggregate(result, "test")
    assert cells["discrete"]["normalised_return"]["mean"] == pytest.approx(0.6 * 5 / 6)
    assert cells["continuous"]["normalised_return"]["mean"] == pytest.approx(0.6 * 11 / 12)
    assert cells["all"]["normalised_return"]["n"] == 18
    assert cells["all"]["normalised_return"]["mean"] == pytest.approx(0.6 * 16 / 18)


@pytest.mark.parametrize("protocol", ["cwmb-v1", "paper-2024"])
def test_values_and_means_agree_with_cwmb_metrics(protocol):
    rng = np.random.default_rng(5)
    result = evaluated(protocol=protocol, normalised={e: float(rng.uniform(-1, 1)) for e in DISCRETE_ENV_IDS +
                                                       CONTINUOUS_ENV_IDS},
                       not_applicable=NOT_APPLICABLE, failed=("Hopper-v5",))
    for env_ids in (DISCRETE_ENV_IDS, CONTINUOUS_ENV_IDS, DISCRETE_ENV_IDS + CONTINUOUS_ENV_IDS):
        values = group_values(result, env_ids, "normalised_return", "test")
        assert group_mean(result, env_ids, "normalised_return", "test") == pytest.approx(np.mean(values))


def test_a_group_without_any_number_has_no_aggregate_not_zero():
    result = evaluated(splits=("test",))
    assert aggregate(result, "train")["all"]["accuracy"] == {"mean": None, "ci95": None, "n": 0, "origin": "computed"}


def test_bootstrap_interval_is_deterministic_and_brackets_the_mean():
    values = [0.1, 0.9, 0.4, 0.7, 0.3]
    low, high = bootstrap_ci(values)
    assert bootstrap_ci(values) == [low, high]
    assert low < np.mean(values) < high
    assert bootstrap_ci([0.5]) == [0.5, 0.5]
    assert bootstrap_ci([]) is None


def _committed(name: str) -> dict:
    return json.loads((RESULTS_DIR / name).read_text())


@pytest.mark.parametrize("method", ["gif-mcts", "worldcoder"])
def test_the_paper_table_2_follows_from_table_11_under_paper_2024_rules(method):
    """GPT-4 Turbo ran one seed, so its Table 2 row is the mean of its Table 11 row."""
    per_env = aggregate(_committed(f"paper-2024__reported-table-11__{method}-gpt-4-turbo-10-calls.json"), "train")
    printed = aggregate(_committed(f"paper-2024__reported-table-2__{method}-gpt-4-turbo-10-calls.json"), "train")
    for group in ("discrete", "continuous"):
        for metric in ("accuracy", "normalised_return"):
            assert printed[group][metric]["origin"] == "printed"
            assert per_env[group][metric]["origin"] == "computed"
            assert round(per_env[group][metric]["mean"], 2) == printed[group][metric]["mean"]


def test_an_oracle_row_with_incomplete_references_shows_no_group_mean():
    """Continuous: 4 of 12 envs computed once gave the oracle row 0.33 (the 8 others counted 0)."""
    result = evaluated(protocol="paper-2024", normalised=1.0, method="oracle")
    incomplete = CONTINUOUS_ENV_IDS[4:]
    for env_id in incomplete:
        result["envs"][env_id] = {"status": "failed", "planning": None, "accuracy": {}, "seconds": {},
                                  "failure": {"category": "incomplete_reference", "message": "1 of 10 episodes computed",
                                              "traceback": ""}}
    cells = aggregate(result, "train")
    assert cells["continuous"]["normalised_return"]["mean"] is None
    assert cells["all"]["normalised_return"]["mean"] is None
    assert cells["discrete"]["normalised_return"]["mean"] == 1.0
