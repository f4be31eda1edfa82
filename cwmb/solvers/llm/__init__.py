"""LLM backends behind one small interface (`LLMBackend`), imported only when asked for.

=========  ==============================================  =========================
name       what answers                                    needs
=========  ==============================================  =========================
openai     any OpenAI-compatible server (OpenAI, vLLM,     ``pip install "cwmb[solver]"``
           Ollama, llama.cpp server, TGI)
hf         local transformers generation                   ``pip install "cwmb[hf]"``
replay     a recorded ``transcript.jsonl``                 nothing
scripted   canned completions (tests)                      nothing
=========  ==============================================  =========================

`RecordingLLM` wraps any of them with the transcript, the cache and the counters.
"""

from __future__ import annotations

import importlib

from cwmb.solvers.llm.base import (
    BackendNotConfigured,
    Completion,
    LLMBackend,
    LLMError,
    Message,
    ReplayMiss,
    SamplingParams,
    ServerUnreachable,
)
from cwmb.solvers.llm.transcript import RecordingLLM, read_transcript

#: Backend name -> "module:factory"; the module is imported by `make_backend` only.
BACKENDS: dict[str, str] = {
    "openai": "cwmb.solvers.llm.openai_backend:OpenAIBackend.from_settings",
    "hf": "cwmb.solvers.llm.hf_backend:HFBackend",
    "replay": "cwmb.solvers.llm.replay:ReplayBackend",
    "scripted": "cwmb.solvers.llm.scripted:ScriptedBackend",
}


def make_backend(name: str | None, *args, **options) -> LLMBackend:
    """Build the backend called `name` with its own arguments (see each backend's docstring).

    Raises:
        BackendNotConfigured: no backend named, an unknown name, or missing settings/packages.
    """
    if not name:
        raise BackendNotConfigured(
            f"no LLM backend configured: choose one of {', '.join(BACKENDS)} (e.g. --backend openai "
            "--model NAME --base-url http://localhost:8000/v1)"
        )
    if name not in BACKENDS:
        raise BackendNotConfigured(f"unknown LLM backend {name!r}; valid backends: {', '.join(BACKENDS)}")
    module_name, _, attribute = BACKENDS[name].partition(":")
    factory = importlib.import_module(module_name)
    for part in attribute.split("."):
        factory = getattr(factory, part)
    return factory(*args, **options)


__all__ = [
    "BACKENDS",
    "BackendNotConfigured",
    "Completion",
    "LLMBackend",
    "LLMError",
    "Message",
    "RecordingLLM",
    "ReplayMiss",
    "SamplingParams",
    "ServerUnreachable",
    "make_backend",
    "read_transcript",
]
