"""The baselines: WorldCoder (REx refinement) and zero-shot, with the GIF-MCTS budget rules."""

import json
from collections import Counter

from cwmb.solvers.llm.base import SamplingParams
from cwmb.solvers.llm.scripted import ScriptedBackend
from cwmb.solvers.llm.transcript import RecordingLLM
from cwmb.solvers.worldcoder import WorldCoder, WorldCoderConfig
from cwmb.solvers.zero_shot import ZeroShot
from tests.solvers.helpers import TASK, FakeScorer, program, prompt_kind, scripted_programs


def make_worldcoder(script, budget, seed=0):
    backend = ScriptedBackend(script)
    llm = RecordingLLM(backend, SamplingParams(seed=seed))
    return WorldCoder(TASK, llm, FakeScorer(), WorldCoderConfig(budget=budget, seed=seed)), backend


def test_generates_once_then_refines_with_fix_or_improve():
    search, backend = make_worldcoder(scripted_programs([(0.0, True), 0.5, 0.6, 0.4]), budget=4)
    result = search.run()
    assert search.actions[:2] == ["generate", "fix"]  # the only program raised
    assert all(action in ("fix", "improve") for action in search.actions[1:])
    for node in search.nodes[2:]:
        expected = "fix" if node.parent.raised else "improve"
        assert node.action == expected and prompt_kind(backend.calls[node.call - 1]) == expected
    assert result.calls == 4 == len(backend.calls)


def test_rex_thompson_sampling_prefers_accurate_and_less_refined_programs():
    search, _ = make_worldcoder([], budget=2)
    good = search.add_node(search.root, "generate", "", program(0.9, tag="good"), 0)
    bad = search.add_node(search.root, "generate", "", program(0.1, tag="bad"), 0)
    picks = Counter(search.choose().id for _ in range(2000))
    assert picks[good.id] > 0.9 * 2000
    # Beta(1 + C h, 1 + C (1 - h) + N): a program refined many times loses its appeal
    good.refinements = 40
    picks = Counter(search.choose().id for _ in range(2000))
    assert picks[bad.id] > picks[good.id]


def test_stops_at_accuracy_one_and_returns_the_best():
    search, backend = make_worldcoder(scripted_programs([0.3, 0.8, 1.0, 0.2]), budget=10)
    result = search.run()
    assert result.calls == 3 == len(backend.calls)
    assert result.accuracy == 1.0 and result.program == search.nodes[3].program


def test_same_seed_same_run():
    trees = [
        json.dumps(make_worldcoder(scripted_programs([0.3, 0.5, 0.4, (0.2, True), 0.6]), budget=5, seed=3)[0].run().tree)
        for _ in range(2)
    ]
    assert trees[0] == trees[1]


def test_zero_shot_is_one_call():
    backend = ScriptedBackend(scripted_programs([0.4, 0.9]))
    result = ZeroShot(TASK, RecordingLLM(backend, SamplingParams()), FakeScorer()).run()
    assert result.calls == 1 == len(backend.calls) and result.accuracy == 0.4
    assert [n["action"] for n in result.tree["nodes"]] == ["root", "generate"]
