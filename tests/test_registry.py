import re

import numpy as np
import pytest

from cwmb.errors import UnknownEnvironment
from cwmb.registry import CONTINUOUS_ENV_IDS, DISCRETE_ENV_IDS, ENV_IDS, ENVIRONMENTS, get_env


def test_eighteen_environments_six_discrete_twelve_continuous():
    assert len(ENV_IDS) == 18
    assert len(DISCRETE_ENV_IDS) == 6 and len(CONTINUOUS_ENV_IDS) == 12


def test_paper_ids_map_to_maintained_ids():
    assert get_env("Taxi-v3").env_id == "Taxi-v4"
    assert get_env("CliffWalking-v0").env_id == "CliffWalking-v1"
    assert get_env("Ant-v4").env_id == "Ant-v5"


def test_unknown_id_lists_valid_ids_and_suggests():
    with pytest.raises(UnknownEnvironment, match=re.escape("Did you mean 'CartPole-v1'?")) as info:
        get_env("CartPole-v2")
    assert all(env_id in str(info.value) for env_id in ENV_IDS)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_record_matches_real_env(env_id):
    record = ENVIRONMENTS[env_id]
    env = record.make()
    assert env.spec.max_episode_steps == record.episode_limit
    obs, _ = env.reset(seed=0)
    if record.observation_kind == "vector":
        assert isinstance(obs, np.ndarray) and obs.dtype == np.dtype(record.observation_dtype)
    elif record.observation_kind == "int":
        assert int(obs) == obs
    else:
        assert isinstance(obs, tuple) and all(int(x) == x for x in obs)
    assert (record.action_kind == "discrete") == hasattr(env.action_space, "n")
    assert record.planner == ("mcts" if record.action_kind == "discrete" else "cem")


def test_ant_observation_matches_the_papers_27_values():
    assert get_env("Ant-v5").make().observation_space.shape == (27,)
