"""`replay`: answers from a recorded transcript, offline; a request it never saw is an error."""

from __future__ import annotations

from pathlib import Path

from cwmb.solvers.llm.base import BackendNotConfigured, Completion, LLMBackend, Message, ReplayMiss, SamplingParams
from cwmb.solvers.llm.transcript import call_key, completion_from_record, read_transcript, records_by_key


class ReplayBackend(LLMBackend):
    """Replays the completions of `transcript` for exactly the same requests.

    Args:
        transcript: a ``transcript.jsonl`` written by an earlier run.
        model: the model name the run used; needed only when the transcript holds several.
    """

    name = "replay"

    def __init__(self, transcript: str | Path, *, model: str | None = None):
        path = Path(transcript)
        records = read_transcript(path)
        if not records:
            raise BackendNotConfigured(f"replay needs a transcript with recorded calls; {path} has none (or is missing)")
        models = sorted({r["model"] for r in records})
        if model is None:
            if len(models) != 1:
                raise BackendNotConfigured(f"{path} holds calls of several models {models}; pass --model to choose one")
            model = models[0]
        elif model not in models:
            raise BackendNotConfigured(f"{path} holds no call of model {model!r}; it has {models}")
        self.model = model
        self.path = path
        self._records = records_by_key(records)

    def complete(self, messages: list[Message], params: SamplingParams, *, sample_index: int = 0) -> Completion:
        key = call_key(self.model, messages, params, sample_index)
        if key not in self._records:
            raise ReplayMiss(
                f"{self.path} has no answer for this request (model {self.model!r}, sample {sample_index}, "
                f"params {params.to_json()}): the replayed run diverged from the recorded one "
                "(different method, budget, seed, sampling parameters, description or scorer)"
            )
        return completion_from_record(self._records[key])
