"""`scripted`: deterministic canned completions, for tests and smoke runs (no model, no network)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cwmb.solvers.llm.base import Completion, LLMBackend, LLMError, Message, SamplingParams

#: ``responder(messages, call_number) -> completion text``; `call_number` counts from 0.
Responder = Callable[[list[Message], int], str]


class ScriptedBackend(LLMBackend):
    """Answers from a list (in call order) or from a function of the prompt.

    Token counts are the number of whitespace-separated words, so progress lines show something.
    """

    name = "scripted"

    def __init__(self, script: Sequence[str] | Responder, *, model: str = "scripted"):
        self.model = model
        self._script = script
        self.calls: list[list[Message]] = []
        """Every prompt received, in order (tests inspect them)."""

    def complete(self, messages: list[Message], params: SamplingParams, *, sample_index: int = 0) -> Completion:
        number = len(self.calls)
        self.calls.append(messages)
        if callable(self._script):
            text = self._script(messages, number)
        elif number < len(self._script):
            text = self._script[number]
        else:
            raise LLMError(f"scripted backend exhausted: call {number + 1} but the script has {len(self._script)} answers")
        prompt_words = sum(len(m["content"].split()) for m in messages)
        return Completion(text, self.model, prompt_words, len(text.split()), "stop")
