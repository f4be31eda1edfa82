"""Every LLM call, recorded: a JSONL transcript that doubles as a cache.

`RecordingLLM` wraps any backend. Each call is keyed by (model, prompt, sampling parameters,
sample index), where the sample index counts earlier requests of the same prompt in this run, so a
search that asks the same question twice gets two samples. Before calling the backend it looks
the key up in the transcript it was opened on:

- an interrupted run, started again with the same output folder, replays the calls it already
  made (no LLM is contacted) and goes on from where it stopped;
- a finished run replays bit-for-bit offline (see also `cwmb.solvers.llm.replay`).

Each record is one JSON line, appended with a single ``write`` on an ``O_APPEND`` descriptor and
fsynced. A run killed mid-write leaves at most one torn last line: reading skips it, and the next
append starts on a fresh line.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cwmb.solvers.llm.base import Completion, LLMBackend, Message, SamplingParams, request_seed

#: Fields of a transcript record that depend on the wall clock; ignored when comparing runs.
VOLATILE_FIELDS = ("latency_s", "time", "retries")


def call_key(model: str, messages: list[Message], params: SamplingParams, sample_index: int) -> str:
    """SHA-256 of the canonical JSON of one request: what the cache and the replay look up."""
    payload = {"model": model, "messages": messages, "params": params.to_json(), "sample_index": sample_index}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def read_transcript(path: str | Path) -> list[dict[str, Any]]:
    """The records of a transcript, in order; a torn or unreadable line (a killed run) is skipped."""
    path = Path(path)
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "key" in record and "completion" in record:
            records.append(record)
    return records


def append_record(path: str | Path, record: dict[str, Any]) -> None:
    """Append one record as one line, atomically with respect to other appends, and fsync it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(record, ensure_ascii=False) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size:  # a torn last line from a killed run: start on a fresh line
            with open(path, "rb") as existing:
                existing.seek(size - 1)
                if existing.read(1) != b"\n":
                    data = b"\n" + data
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def completion_from_record(record: dict[str, Any]) -> Completion:
    return Completion(
        text=record["completion"],
        model=record.get("response_model") or record["model"],
        prompt_tokens=record.get("prompt_tokens"),
        completion_tokens=record.get("completion_tokens"),
        finish_reason=record.get("finish_reason"),
        retries=0,
    )


class RecordingLLM:
    """A backend plus cache, transcript and counters: what solvers call.

    Args:
        backend: answers the calls the cache cannot.
        params: sampling parameters of every call.
        transcript: JSONL file to read the cache from and append new calls to (None: no file).
        context: extra fields written into every record (e.g. ``{"env_id": ..., "method": ...}``).
    """

    def __init__(
        self,
        backend: LLMBackend,
        params: SamplingParams,
        *,
        transcript: str | Path | None = None,
        context: dict[str, Any] | None = None,
    ):
        self.backend = backend
        self.params = params
        self.transcript = Path(transcript) if transcript is not None else None
        self.context = dict(context or {})
        self._cache: dict[str, dict[str, Any]] = {}
        for record in read_transcript(self.transcript) if self.transcript else []:
            self._cache.setdefault(record["key"], record)
        self._sample_counts: dict[str, int] = {}
        self.calls = 0
        """Calls answered so far (from the backend or the cache): what the budget counts."""
        self.cached_calls = 0
        """Calls answered from the transcript without contacting the backend."""
        self.prompt_tokens = 0
        self.completion_tokens = 0

    @property
    def model(self) -> str:
        return self.backend.model

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens of every call so far (as reported; 0 when unknown)."""
        return self.prompt_tokens + self.completion_tokens

    def complete(self, messages: list[Message], *, tag: str = "") -> Completion:
        """One call: from the cache when this request was answered before, else from the backend.

        `tag` (``generate``, ``improve``, ``fix``) is written into the record for readers.
        """
        base = call_key(self.model, messages, self.params, -1)
        sample_index = self._sample_counts.get(base, 0)
        self._sample_counts[base] = sample_index + 1
        key = call_key(self.model, messages, self.params, sample_index)

        if key in self._cache:
            completion = completion_from_record(self._cache[key])
            self.cached_calls += 1
        else:
            started = time.perf_counter()
            completion = self.backend.complete(messages, self.params, sample_index=sample_index)
            latency = time.perf_counter() - started
            record = {
                "key": key,
                **self.context,
                "tag": tag,
                "backend": self.backend.name,
                "model": self.model,
                "response_model": completion.model,
                "params": self.params.to_json(),
                "sample_index": sample_index,
                "request_seed": request_seed(self.params.seed, sample_index),
                "messages": messages,
                "completion": completion.text,
                "finish_reason": completion.finish_reason,
                "prompt_tokens": completion.prompt_tokens,
                "completion_tokens": completion.completion_tokens,
                "latency_s": round(latency, 4),
                "retries": completion.retries,
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
            if self.transcript is not None:
                append_record(self.transcript, record)
            self._cache[key] = record
        self.calls += 1
        self.prompt_tokens += completion.prompt_tokens or 0
        self.completion_tokens += completion.completion_tokens or 0
        return completion


def records_by_key(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """First record of each key."""
    index: dict[str, dict[str, Any]] = {}
    for record in records:
        index.setdefault(record["key"], record)
    return index
