"""Units of work give the same numbers on every backend: in process, a process pool, and Ray."""

import json
import os
from pathlib import Path

import pytest

from cwmb.backends import run_units
from cwmb.errors import CWMBError
from cwmb.evaluate import evaluate
from cwmb.protocols import CWMB_V1
from cwmb.references import compute, reference_episode

EXACT = Path(__file__).resolve().parents[2] / "submissions" / "exact"


def square(x: int) -> int:
    return x * x


def without_timings(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "seconds"}


def test_local_backend_in_process_and_in_a_pool_agree():
    units = {f"u{i}": {"x": i} for i in range(6)}
    assert dict(run_units(square, units)) == dict(run_units(square, units, jobs=2)) == {f"u{i}": i * i for i in range(6)}


@pytest.mark.parametrize("options, message", [({"backend": "dask"}, "unknown backend 'dask'"), ({"jobs": 0}, "jobs must be")])
def test_bad_backend_options_are_one_line_errors(options, message):
    with pytest.raises(CWMBError, match=message):
        list(run_units(square, {"a": {"x": 1}}, **options))


def test_references_in_parallel_equal_sequential_and_resume(tmp_path, monkeypatch):
    monkeypatch.setattr("cwmb.references.REFERENCES_DIR", tmp_path)
    parallel = compute(CWMB_V1, ["CartPole-v1"], 3, policies=("random",), jobs=2)["CartPole-v1"]["random"]
    stored = json.loads((tmp_path / "cwmb-v1.json").read_text())
    assert stored["CartPole-v1"]["random"]["returns"] == parallel["returns"]
    assert len(parallel["returns"]) == 3
    # Drop the last episode, as if the run had been stopped: only that one is computed again.
    stored["CartPole-v1"]["random"] = {k: v[:2] for k, v in parallel.items()}
    stored["CartPole-v1"]["random"]["seconds"][0] = -1.0  # marks the kept episodes
    (tmp_path / "cwmb-v1.json").write_text(json.dumps(stored))
    resumed = compute(CWMB_V1, ["CartPole-v1"], 3, policies=("random",))["CartPole-v1"]["random"]
    assert resumed["returns"] == parallel["returns"] and resumed["seeds"] == parallel["seeds"]
    assert resumed["seconds"][0] == -1.0


@pytest.fixture(scope="module")
def ray():
    # A private instance on 127.0.0.1 (see cwmb.backends), set before Ray is imported.
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    os.environ.pop("RAY_ADDRESS", None)
    # These tests compare numbers, not speed: at Ray's default worker niceness (15) any other load
    # on a 2-core machine starves the many small sandbox messages of a planning episode.
    os.environ.setdefault("RAY_worker_niceness", "0")
    ray = pytest.importorskip("ray", reason="the ray backend is an optional extra: pip install 'cwmb[ray]'")
    yield ray
    ray.shutdown()


def test_ray_backend_gives_the_local_numbers_on_the_loopback_address(ray):
    units = {i: {"env_id": "Taxi-v4", "policy": "random", "protocol_name": "cwmb-v1", "episode": i} for i in range(3)}
    local, on_ray = dict(run_units(reference_episode, units)), dict(run_units(reference_episode, units, backend="ray", jobs=2))
    assert {i: r["return"] for i, r in on_ray.items()} == {i: r["return"] for i, r in local.items()}
    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}


def test_an_evaluation_on_ray_equals_the_local_one(ray, tmp_path):
    options = {"env_ids": ["CartPole-v1", "CliffWalking-v1"], "episodes": 1, "protocol": "cwmb-v1"}
    local = evaluate(EXACT, **options)
    on_ray = evaluate(EXACT, backend="ray", jobs=2, **options)
    assert set(on_ray["envs"]) == {"CartPole-v1", "CliffWalking-v1"}
    for env_id in on_ray["envs"]:
        assert without_timings(on_ray["envs"][env_id]) == without_timings(local["envs"][env_id])
    assert on_ray["envs"]["CartPole-v1"]["accuracy"]["test"]["accuracy"] == 1.0
    assert on_ray["aggregate"] == local["aggregate"]


def test_reference_runs_for_other_envs_never_lose_each_others_episodes(tmp_path, monkeypatch):
    monkeypatch.setattr("cwmb.references.REFERENCES_DIR", tmp_path)
    compute(CWMB_V1, ["Taxi-v4"], 1, policies=("random",))
    # Another run stores CliffWalking meanwhile; this run's next episodes re-read the file first.
    from cwmb.references import load_references
    monkeypatch.setattr("cwmb.references.load_references", lambda protocol: {})  # a stale view
    compute(CWMB_V1, ["CliffWalking-v1"], 1, policies=("random",))
    monkeypatch.undo()
    monkeypatch.setattr("cwmb.references.REFERENCES_DIR", tmp_path)
    compute(CWMB_V1, ["Taxi-v4"], 2, policies=("random",))
    stored = load_references("cwmb-v1")
    assert len(stored["Taxi-v4"]["random"]["returns"]) == 2
    assert len(stored["CliffWalking-v1"]["random"]["returns"]) == 1
    compute(CWMB_V1, ["Taxi-v4"], 1, policies=("random",), recompute=True)  # discards Taxi's only
    stored = load_references("cwmb-v1")
    assert len(stored["Taxi-v4"]["random"]["returns"]) == 1 and "CliffWalking-v1" in stored
