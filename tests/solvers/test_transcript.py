"""The JSONL transcript: records, cache, resume of an interrupted run, replay of a finished one."""

import json
import re

import pytest

from cwmb.solvers.gif_mcts import GIFMCTS, GIFMCTSConfig
from cwmb.solvers.llm.base import LLMError, ReplayMiss, SamplingParams
from cwmb.solvers.llm.replay import ReplayBackend
from cwmb.solvers.llm.scripted import ScriptedBackend
from cwmb.solvers.llm.transcript import VOLATILE_FIELDS, RecordingLLM, append_record, call_key, read_transcript
from tests.solvers.helpers import TASK, FakeScorer, scripted_programs

MESSAGES = [{"role": "user", "content": "write it"}]
SPECS = [0.2, 0.7, (0.1, True), 0.4, 0.6, 0.3, 0.5, 0.45]


def test_each_call_is_recorded_with_its_metadata(tmp_path):
    path = tmp_path / "t.jsonl"
    llm = RecordingLLM(ScriptedBackend(["one", "two"], model="m"), SamplingParams(seed=3), transcript=path, context={"env_id": "Taxi-v4"})
    assert llm.complete(MESSAGES, tag="generate").text == "one"
    assert llm.complete(MESSAGES, tag="generate").text == "two"  # same prompt, next sample
    records = read_transcript(path)
    assert [r["completion"] for r in records] == ["one", "two"]
    assert [r["sample_index"] for r in records] == [0, 1]
    first = records[0]
    assert first["env_id"] == "Taxi-v4" and first["model"] == "m" and first["tag"] == "generate"
    assert first["messages"] == MESSAGES and first["params"]["seed"] == 3
    assert first["prompt_tokens"] == 2 and first["completion_tokens"] == 1
    assert set(VOLATILE_FIELDS) <= set(first)
    assert first["key"] == call_key("m", MESSAGES, SamplingParams(seed=3), 0)
    assert llm.calls == 2 and llm.tokens == 6


def test_cache_answers_without_the_backend(tmp_path):
    path = tmp_path / "t.jsonl"
    RecordingLLM(ScriptedBackend(["one", "two"], model="m"), SamplingParams(), transcript=path).complete(MESSAGES)
    again = RecordingLLM(ScriptedBackend([], model="m"), SamplingParams(), transcript=path)
    assert again.complete(MESSAGES).text == "one" and again.cached_calls == 1
    with pytest.raises(LLMError, match="exhausted"):  # sample 1 was never recorded: the backend is asked
        again.complete(MESSAGES)


def test_changing_a_parameter_or_the_model_misses_the_cache(tmp_path):
    path = tmp_path / "t.jsonl"
    RecordingLLM(ScriptedBackend(["one"], model="m"), SamplingParams(), transcript=path).complete(MESSAGES)
    for model, params in [("m", SamplingParams(temperature=0.5)), ("other", SamplingParams())]:
        llm = RecordingLLM(ScriptedBackend(["fresh"], model=model), params, transcript=path)
        assert llm.complete(MESSAGES).text == "fresh"


def test_torn_last_line_is_skipped_and_the_next_record_starts_a_line(tmp_path):
    path = tmp_path / "t.jsonl"
    append_record(path, {"key": "a", "completion": "x", "model": "m"})
    with open(path, "a") as file:
        file.write('{"key": "b", "completion": "tor')  # killed mid-write
    assert [r["key"] for r in read_transcript(path)] == ["a"]
    append_record(path, {"key": "c", "completion": "y", "model": "m"})
    assert [r["key"] for r in read_transcript(path)] == ["a", "c"]
    assert path.read_text().count("\n") == 3


def _search(backend, transcript, budget=8):
    llm = RecordingLLM(backend, SamplingParams(seed=0), transcript=transcript)
    return GIFMCTS(TASK, llm, FakeScorer(), GIFMCTSConfig(budget=budget)), llm


def test_interrupted_run_resumes_where_it_stopped(tmp_path):
    reference = _search(ScriptedBackend(scripted_programs(SPECS)), tmp_path / "ref.jsonl")[0].run().tree

    responder = scripted_programs(SPECS)

    def dies_after_five(messages, number):
        if number == 5:
            raise KeyboardInterrupt  # the run is killed during call 6
        return responder(messages, number)

    path = tmp_path / "run.jsonl"
    with pytest.raises(KeyboardInterrupt):
        _search(ScriptedBackend(dies_after_five), path)[0].run()
    assert len(read_transcript(path)) == 5

    # Started again: the first five calls come from the transcript; the backend sees calls 6-8 only.
    offset = 5
    backend = ScriptedBackend(lambda messages, number: responder(messages, number + offset))
    search, llm = _search(backend, path)
    tree = search.run().tree
    assert llm.cached_calls == 5 and len(backend.calls) == 3
    assert len(read_transcript(path)) == 8
    assert json.dumps(tree, sort_keys=True) == json.dumps(reference, sort_keys=True)


def test_finished_run_replays_bit_for_bit_offline(tmp_path):
    path = tmp_path / "run.jsonl"
    original = _search(ScriptedBackend(scripted_programs(SPECS)), path)[0].run().tree
    replayed_search, llm = _search(ReplayBackend(path), tmp_path / "replayed.jsonl")
    replayed = replayed_search.run().tree
    assert json.dumps(replayed, sort_keys=True) == json.dumps(original, sort_keys=True)
    strip = lambda r: {k: v for k, v in r.items() if k not in VOLATILE_FIELDS + ("backend",)}  # noqa: E731
    assert [strip(r) for r in read_transcript(tmp_path / "replayed.jsonl")] == [strip(r) for r in read_transcript(path)]


def test_replay_of_a_different_run_fails_clearly(tmp_path):
    path = tmp_path / "run.jsonl"
    _search(ScriptedBackend(scripted_programs(SPECS)), path, budget=3)[0].run()
    replay = ReplayBackend(path)
    with pytest.raises(ReplayMiss, match=re.escape("the replayed run diverged")):
        replay.complete(MESSAGES, SamplingParams(seed=0))
    with pytest.raises(ReplayMiss):
        _search(replay, None, budget=5)[0].run()  # asks for more calls than were recorded
