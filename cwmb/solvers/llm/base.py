"""The one interface every LLM backend implements, and the errors they raise.

A backend turns a chat (a list of ``{"role", "content"}`` messages) into one completion. It knows
nothing about caching, transcripts or budgets: `cwmb.solvers.llm.transcript.RecordingLLM` wraps any
backend with those, so every backend gets them for free.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any

from cwmb.errors import CWMBError

#: A chat message: ``{"role": "system" | "user" | "assistant", "content": str}``.
Message = dict[str, str]


class LLMError(CWMBError):
    """An LLM call failed for good (after retries, or for a reason retrying cannot fix)."""


class BackendNotConfigured(LLMError):
    """No usable LLM backend: a missing model name, server URL, API key or optional package."""


class ServerUnreachable(LLMError):
    """Nothing listens at the server's address (connection refused): retrying cannot help, and no
    later call of the run can succeed either, so the run stops at once."""


class ReplayMiss(LLMError):
    """A replayed run asked for a completion its transcript does not hold (the run diverged)."""


@dataclass(frozen=True)
class SamplingParams:
    """Generation settings; part of the cache key, so changing one never reuses old answers."""

    temperature: float = 1.0
    """Sampling temperature."""
    top_p: float = 1.0
    """Nucleus sampling mass."""
    max_tokens: int = 4096
    """Longest completion, in tokens (a MuJoCo world model can take 2,000)."""
    seed: int | None = None
    """The run's sampling seed; each request is sent `request_seed(seed, sample_index)`."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Completion:
    """One answer of a backend."""

    text: str
    """The completion text."""
    model: str
    """The model that answered, as the server names it."""
    prompt_tokens: int | None = None
    """Tokens in the prompt, when the backend reports them."""
    completion_tokens: int | None = None
    """Tokens in the completion, when the backend reports them."""
    finish_reason: str | None = None
    """Why generation stopped (``stop``, ``length``, ...), when known."""
    retries: int = 0
    """Failed attempts (rate limits, server errors) before this answer."""


def request_seed(seed: int | None, sample_index: int) -> int | None:
    """The sampling seed of the `sample_index`-th request of one prompt in a run seeded `seed`.

    Seeded servers (llama.cpp, vLLM, OpenAI) answer the same prompt and seed with the same
    completion, so a search that asks one prompt again must send another seed, or it pays for the
    same program again: with the run's seed on every request, 9 of GIF-MCTS's 10 Blackjack calls to
    llama.cpp returned the identical program. Kept below 2**31: servers take 32-bit seeds.
    """
    if seed is None:
        return None
    return (seed * 1_000_003 + sample_index) % 2**31


class LLMBackend(ABC):
    """A chat-completion backend. Subclasses set `name` and `model` and implement `complete`."""

    name: str = "abstract"
    """Backend name as the CLI spells it (``openai``, ``hf``, ``replay``, ``scripted``)."""
    model: str
    """Model identifier; part of every cache key."""

    @abstractmethod
    def complete(self, messages: list[Message], params: SamplingParams, *, sample_index: int = 0) -> Completion:
        """Answer `messages`.

        `sample_index` counts earlier requests of the same prompt in this run (0 for the first);
        seeded backends sample with `request_seed(params.seed, sample_index)`, so that a repeated
        prompt gets a new sample and a repeated request the same one.
        """
