"""Planning episodes (oracle, random, a failing model), references, protocols and result files."""

import json
import math
import re

import pytest

from cwmb.episodes import oracle_model, play_episode
from cwmb.errors import CWMBError, SubmissionException
from cwmb.planners.model import PlanningModel
from cwmb.protocols import CWMB_V1, PAPER_2024, get_protocol
from cwmb.references import MissingReference, reference_returns
from cwmb.registry import ENV_IDS, get_env
from cwmb.results import InvalidResult, read_result, validate_result, write_result


class Exploding(PlanningModel):
    """A world model that raises on every step (as a broken submission does in the sandbox)."""

    def __init__(self):
        self.state = None

    def get_state(self):
        return self.state

    def set_state(self, state):
        self.state = state

    def step(self, action):
        raise SubmissionException("ZeroDivisionError: division by zero (line 3: 1/0)")


def test_oracle_beats_random_on_cartpole_and_episodes_are_deterministic():
    record = get_env("CartPole-v1")
    random_returns = [play_episode(record, CWMB_V1, e, None).episode_return for e in range(2)]
    oracle = play_episode(record, CWMB_V1, 0, oracle_model(record, CWMB_V1.seed_base))
    assert oracle.episode_return > max(random_returns)
    again = play_episode(record, CWMB_V1, 0, oracle_model(record, CWMB_V1.seed_base))
    assert again == oracle


def test_a_failing_model_plans_like_random_and_is_counted():
    record = get_env("Taxi-v4")
    result = play_episode(record, CWMB_V1, 0, Exploding())
    assert result.failed_plans == result.length  # every decision fell back to a random action
    record = get_env("Pendulum-v1")
    result = play_episode(record, CWMB_V1, 0, Exploding())
    assert result.failed_plans > 0 and result.length == CWMB_V1.episode_limit(record)


def test_protocol_episode_limits():
    assert PAPER_2024.episode_limit(get_env("HalfCheetah-v5")) == 1000
    assert PAPER_2024.episode_limit(get_env("CliffWalking-v1")) == 100
    assert CWMB_V1.episode_limit(get_env("HalfCheetah-v5")) == 100
    assert CWMB_V1.mcts_for("MountainCar-v0").action_repeat == 10
    with pytest.raises(CWMBError, match=re.escape("unknown protocol 'v2'; use one of cwmb-v1, paper-2024")):
        get_protocol("v2")


def test_shipped_cwmb_v1_references_cover_every_env_and_the_oracle_wins():
    for env_id in ENV_IDS:
        try:
            random_return, oracle_return = reference_returns("cwmb-v1", env_id)
        except MissingReference as error:
            pytest.fail(str(error))
        assert oracle_return > random_return, env_id


def test_missing_reference_names_the_command(monkeypatch, tmp_path):
    monkeypatch.setattr("cwmb.references.REFERENCES_DIR", tmp_path)
    with pytest.raises(MissingReference, match=re.escape("run `python -m cwmb.references --protocol cwmb-v1 --env Taxi-v4`")):
        reference_returns("cwmb-v1", "Taxi-v4")


def _minimal_result():
    return {
        "schema_version": 1, "kind": "evaluated", "harness_version": "0.1.0", "submission": {"name": "x"},
        "protocol": CWMB_V1.to_dict(), "dataset": {"revision": "r"},
        "envs": {"Taxi-v4": {"status": "ok", "failure": None, "accuracy": {}, "planning": None}},
        "aggregate": {},
    }


def test_result_round_trip_is_atomic_and_refuses_nan(tmp_path):
    path = write_result(_minimal_result(), tmp_path / "r.json")
    assert read_result(path)["submission"]["name"] == "x"
    bad = _minimal_result()
    bad["envs"]["Taxi-v4"]["planning"] = {"mean_return": math.nan}
    with pytest.raises(InvalidResult, match=re.escape("non-finite number at envs.Taxi-v4.planning.mean_return")):
        write_result(bad, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists() and not list(tmp_path.glob(".*.tmp"))


def test_truncated_result_file_is_a_one_line_error(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_minimal_result())[:40])
    with pytest.raises(InvalidResult, match="is not valid JSON"):
        read_result(path)
    with pytest.raises(InvalidResult, match=re.escape("result lacks")):
        validate_result({"schema_version": 1})
