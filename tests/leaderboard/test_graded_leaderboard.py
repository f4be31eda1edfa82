"""The graded metrics on the leaderboard: the State error column and its averaging rule, the matrix
metric of the page, and the k-step curves of the top entries; results without them still build."""

from __future__ import annotations

import json

import pytest

from cwmb.metrics.graded import ROLLOUT_HORIZONS
from cwmb.registry import ENV_IDS, get_env
from leaderboard.aggregate import STATE_ERROR_CAP, aggregate
from leaderboard.build import build
from leaderboard.store import Store
from tests.leaderboard.results_factory import REVISION, evaluated

VECTOR_ENVS = [e for e in ENV_IDS if not get_env(e).exact_state]


def with_graded(result, errors: dict[str, float]):
    """`result` as schema 2, with a graded block per split: `errors[env]` at one step and at every k."""
    result["schema_version"] = 2
    for env_id, entry in result["envs"].items():
        entry["graded"] = {} if entry["status"] == "failed" else {split: {
            "revision": 1, "state_metric": "mismatch" if get_env(env_id).exact_state else "1-R2",
            "state_error": errors.get(env_id, 0.5), "reward_error": None, "constant_state_dims": [],
            "done_accuracy": 1.0, "done_balanced_accuracy": None, "n_terminal": 0, "n_transitions": 100, "n_failed": 0,
            "rollout": {"stride": 10, "horizons": list(ROLLOUT_HORIZONS),
                        "state_error": [errors.get(env_id, 0.5) * k for k in ROLLOUT_HORIZONS],
                        "n_starts": [10] * 4, "n_rollouts": 10, "n_failed": 0, "failures": {}}}
            for split in entry["accuracy"]}
    return result


def test_state_error_mean_caps_errors_counts_failures_and_skips_discrete_states():
    errors = dict.fromkeys(VECTOR_ENVS, 0.2) | {"Pendulum-v1": 40.0, "Taxi-v4": 0.9}
    result = with_graded(evaluated("graded", failed=("Hopper-v5",)), errors)
    cell = aggregate(result, "test")["all"]["state_error"]
    expected = (0.2 * (len(VECTOR_ENVS) - 2) + STATE_ERROR_CAP + STATE_ERROR_CAP) / len(VECTOR_ENVS)
    assert cell["n"] == len(VECTOR_ENVS) and cell["mean"] == pytest.approx(expected)
    assert aggregate(evaluated("schema-1"), "test")["all"]["state_error"]["mean"] is None  # not measured, not 0


def test_the_page_and_the_markdown_show_the_graded_numbers_and_the_curves(tmp_path):
    store = Store(tmp_path / "results", dataset_revision=REVISION)
    (tmp_path / "results").mkdir()
    store.add_result(with_graded(evaluated("graded", seed=1), dict.fromkeys(VECTOR_ENVS, 0.25)))
    store.add_result(evaluated("old", seed=2))  # schema 1: no graded metrics
    out = tmp_path / "out"
    build(store, out)
    markdown = (out / "README.md").read_text()
    assert "| All state error |" in markdown and "| graded | 0.50 [0.50, 0.50] | 0.50 [0.50, 0.50] | 0.25 [0.25, 0.25] | reproduced |" in markdown
    assert "| old | 0.50 [0.50, 0.50] | 0.50 [0.50, 0.50] | — | reproduced |" in markdown
    assert (out / "site" / "plots" / "cwmb-v1-rollout-error.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "site" / "index.html").read_text()
    data = json.loads(page.split('id="cwmb-data">', 1)[1].split("</script>", 1)[0])
    row = next(r for r in data["rows"] if r["name"] == "graded")
    pendulum = next(e for e in row["envs"] if e["env_id"] == "Pendulum-v1")
    assert pendulum["state_error"]["test"] == 0.25 and pendulum["rollout_error"]["test"]["horizons"] == [1, 5, 10, 20]
    assert '<option value="state_error">state error</option>' in page and 'key: "state_error"' in page

