"""Every stored transition replays exactly through the real simulator from its stored state."""

import pytest

from cwmb.dataset.load import split_file
from cwmb.dataset.verify import replay_split
from cwmb.registry import ENV_IDS
from data_builders.collect import SPLITS, episode_seeds

CASES = [(e, s) for e in ENV_IDS for s in SPLITS]


@pytest.mark.parametrize("env_id,split", CASES, ids=[f"{e}-{s}" for e, s in CASES])
def test_every_transition_replays(env_id, split):
    if not split_file(env_id, split).exists():
        pytest.skip(f"{env_id}/{split} not built yet")
    report = replay_split(env_id, split, reset_seeds=lambda episode: episode_seeds(split, episode).reset)
    assert report.transitions > 0
    assert report.ok, "\n".join(report.mismatches)
