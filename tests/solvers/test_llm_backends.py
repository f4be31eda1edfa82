"""The backend factory, its errors, and the lazy imports of optional packages."""

import json
import re
import subprocess
import sys

import pytest

from cwmb.solvers.llm import BACKENDS, make_backend
from cwmb.solvers.llm.base import BackendNotConfigured, LLMError, SamplingParams
from cwmb.solvers.llm.scripted import ScriptedBackend
from cwmb.solvers.llm.transcript import append_record

MESSAGES = [{"role": "user", "content": "hi"}]


def test_importing_the_solvers_imports_no_llm_client():
    code = "import sys, cwmb.solvers, cwmb.solvers.cli; print(sorted({'openai', 'transformers', 'torch'} & set(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def test_no_backend_is_a_clear_error():
    with pytest.raises(BackendNotConfigured, match=re.escape("no LLM backend configured: choose one of openai, hf, replay, scripted")):
        make_backend(None)
    with pytest.raises(BackendNotConfigured, match=re.escape("unknown LLM backend 'gpt'; valid backends: openai, hf")):
        make_backend("gpt")
    assert set(BACKENDS) == {"openai", "hf", "replay", "scripted"}


def test_openai_backend_needs_a_model_and_a_server():
    pytest.importorskip("openai")
    with pytest.raises(BackendNotConfigured, match=re.escape("no LLM model configured: pass --model NAME")):
        make_backend("openai", None, "http://127.0.0.1:1/v1", environ={})
    with pytest.raises(BackendNotConfigured, match=re.escape("no LLM server configured: pass --base-url URL")):
        make_backend("openai", "m", None, environ={})
    backend = make_backend("openai", None, None, environ={"CWMB_LLM_MODEL": "m", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1"})
    assert backend.model == "m" and backend.base_url == "http://127.0.0.1:1/v1"


def test_openai_backend_without_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "openai", None)  # as if not installed
    with pytest.raises(BackendNotConfigured, match=re.escape('pip install "cwmb[solver]"')):
        make_backend("openai", "m", "http://127.0.0.1:1/v1")


def test_hf_backend_without_transformers(monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(BackendNotConfigured, match=re.escape('pip install "cwmb[hf]"')):
        make_backend("hf", "some/model")


def test_scripted_backend_list_and_function():
    backend = make_backend("scripted", ["a", "b"])
    assert [backend.complete(MESSAGES, SamplingParams()).text for _ in range(2)] == ["a", "b"]
    with pytest.raises(LLMError, match=re.escape("scripted backend exhausted: call 3 but the script has 2 answers")):
        backend.complete(MESSAGES, SamplingParams())
    echo = ScriptedBackend(lambda messages, number: f"{number}:{messages[-1]['content']}")
    assert echo.complete(MESSAGES, SamplingParams()).text == "0:hi"


def test_replay_backend_needs_a_transcript(tmp_path):
    with pytest.raises(BackendNotConfigured, match="has none"):
        make_backend("replay", tmp_path / "missing.jsonl")
    path = tmp_path / "t.jsonl"
    for model in ("a", "b"):
        append_record(path, {"key": model, "model": model, "completion": "x"})
    with pytest.raises(BackendNotConfigured, match=re.escape("several models ['a', 'b']; pass --model")):
        make_backend("replay", path)
    with pytest.raises(BackendNotConfigured, match=re.escape("holds no call of model 'c'")):
        make_backend("replay", path, model="c")
    assert make_backend("replay", path, model="b").model == "b"


def test_sampling_params_are_json():
    assert json.loads(json.dumps(SamplingParams(seed=2).to_json())) == {
        "temperature": 1.0, "top_p": 1.0, "max_tokens": 4096, "seed": 2,
    }
