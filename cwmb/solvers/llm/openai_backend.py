"""`openai`: any OpenAI-compatible chat-completions server, through the `openai` package.

One backend covers OpenAI itself and the servers that speak its protocol: vLLM
(``vllm serve MODEL``, base URL ``http://HOST:8000/v1``), Ollama (``http://HOST:11434/v1``),
llama.cpp's ``llama-server`` (``http://HOST:8080/v1``) and Hugging Face TGI (``http://HOST/v1``).

Settings come from the arguments first, then from the environment (read here, at construction,
and nowhere in the search code):

==============  =====================  =============================================
setting         argument               environment variable
==============  =====================  =============================================
model           ``model``              ``CWMB_LLM_MODEL``
server URL      ``base_url``           ``OPENAI_BASE_URL`` (default: api.openai.com)
API key         ``api_key``            ``OPENAI_API_KEY`` (local servers: not needed)
==============  =====================  =============================================

Rate limits (429), server errors (5xx), timeouts and dropped connections are retried with
exponential backoff (honouring a ``Retry-After`` header), and every retry is reported on stderr
(what failed, which attempt, how long until the next). A refused connection before the server has
ever answered (nothing listens at the URL: a wrong port, a server not started) fails at once with
`ServerUnreachable`, naming the URL: waiting cannot help, and a silent two-minute backoff looked
like a hang. Once the server has answered, a refused connection is retried like a dropped one: a
server restarted in the middle of a run (seen with llama.cpp's, restarted to free memory) refuses
connections for the seconds it takes to load the model. Other errors fail at once,
except a prompt longer than the model's context window, which is answered with an empty completion
(the search scores it as "no code" and goes on).
"""

from __future__ import annotations

import errno
import os
import re
import sys
import time
from collections.abc import Callable, Mapping

from cwmb.solvers.llm.base import (
    BackendNotConfigured,
    Completion,
    LLMBackend,
    LLMError,
    Message,
    SamplingParams,
    ServerUnreachable,
    request_seed,
)

#: Status codes worth retrying: rate limit, request timeout, conflict, and server-side errors.
RETRYABLE_STATUS = frozenset({408, 409, 429}) | frozenset(range(500, 600))

#: Default seconds to wait for one answer from api.openai.com, and from a server at a `base_url`.
OPENAI_TIMEOUT_S = 600.0
SELF_HOSTED_TIMEOUT_S = 3600.0

#: How OpenAI, vLLM, llama.cpp and TGI word a 400 for a prompt longer than the context window.
_CONTEXT_OVERFLOW = re.compile(
    r"context length|context_length|maximum context|context window|prompt is too long|too many tokens", re.I
)


class OpenAIBackend(LLMBackend):
    """Chat completions from an OpenAI-compatible server.

    Args:
        model: model name as the server knows it (e.g. ``meta-llama/Meta-Llama-3-70B-Instruct``).
        base_url: server URL ending in ``/v1``; None for OpenAI itself.
        api_key: API key; local servers accept any (``"EMPTY"`` is sent when none is given).
        max_retries: retries after the first attempt, on retryable errors only.
        backoff: first wait in seconds; doubled at every retry, capped at `max_backoff`.
        timeout: seconds to wait for one answer; None: `OPENAI_TIMEOUT_S` (600) for OpenAI itself,
            `SELF_HOSTED_TIMEOUT_S` (3600) for a `base_url` server. A self-hosted server (llama.cpp,
            vLLM, Ollama) goes on computing a request whose client gave up, so retrying a timed-out
            request there only queues a second copy behind the first: on a loaded CPU, where one
            call took up to 550 s, a 600 s limit started that spiral.
        sleep: the waiting function (default `time.sleep`; tests pass a fake one).
        report: receives one line per retry (default: printed on stderr).
    """

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        max_retries: int = 6,
        backoff: float = 2.0,
        max_backoff: float = 60.0,
        timeout: float | None = None,
        sleep: Callable[[float], None] | None = None,
        report: Callable[[str], None] | None = None,
    ):
        try:
            import openai
        except ImportError:
            raise BackendNotConfigured(
                'the openai backend needs the `openai` package: pip install "cwmb[solver]"'
            ) from None
        self._openai = openai
        self.model = model
        self.base_url = base_url
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep if sleep is not None else lambda seconds: time.sleep(seconds)
        self._report = report if report is not None else _print_to_stderr
        self._answered = False
        """True once the server has answered a request (a later refusal is a restart, not a wrong URL)."""
        if timeout is None:
            timeout = OPENAI_TIMEOUT_S if base_url is None else SELF_HOSTED_TIMEOUT_S
        self.timeout = timeout
        # Retries are ours (counted and recorded), not the client's.
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key or "EMPTY", max_retries=0, timeout=timeout)

    @classmethod
    def from_settings(
        cls,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        **options,
    ) -> OpenAIBackend:
        """Build from explicit settings, falling back to the environment variables above.

        Raises:
            BackendNotConfigured: no model, or neither a server URL nor an API key.
        """
        environ = os.environ if environ is None else environ
        model = model or environ.get("CWMB_LLM_MODEL")
        base_url = base_url or environ.get("OPENAI_BASE_URL")
        api_key = api_key or environ.get("OPENAI_API_KEY")
        if not model:
            raise BackendNotConfigured(
                "no LLM model configured: pass --model NAME (or set CWMB_LLM_MODEL), e.g. "
                "--model meta-llama/Meta-Llama-3-70B-Instruct --base-url http://localhost:8000/v1"
            )
        if not base_url and not api_key:
            raise BackendNotConfigured(
                "no LLM server configured: pass --base-url URL for a local OpenAI-compatible server "
                "(vLLM, Ollama, llama.cpp, TGI), or set OPENAI_API_KEY to use api.openai.com"
            )
        return cls(model, base_url=base_url, api_key=api_key, **options)

    @property
    def server(self) -> str:
        """The URL requests go to, as error messages name it."""
        return self.base_url or "api.openai.com"

    def complete(self, messages: list[Message], params: SamplingParams, *, sample_index: int = 0) -> Completion:
        openai = self._openai
        request = {
            "model": self.model,
            "messages": messages,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
        }
        seed = request_seed(params.seed, sample_index)
        if seed is not None:
            request["seed"] = seed
        for attempt in range(self.max_retries + 1):
            try:
                response = self._client.chat.completions.create(**request)
                break
            except (openai.APIConnectionError, openai.APITimeoutError) as error:  # timeout subclasses connection
                if connection_refused(error) and not self._answered:
                    raise ServerUnreachable(
                        f"no LLM server at {self.server}: connection refused. Start the server (e.g. "
                        "`vllm serve MODEL` or `python -m llama_cpp.server --model FILE`) or fix --base-url / "
                        "OPENAI_BASE_URL (it must end in /v1)"
                    ) from None
                retry_after, reason = None, f"{type(error).__name__}: {_innermost(error)}"
            except openai.APIStatusError as error:
                if error.status_code == 400 and _CONTEXT_OVERFLOW.search(str(error.message)):
                    # The prompt does not fit the model's context (a long program plus a long MuJoCo
                    # transition can pass 8k tokens): an empty answer, recorded like any other, so the
                    # search goes on and a resumed run does not stop at the same prompt again.
                    return Completion("", self.model, finish_reason=f"context_overflow: {error.message}", retries=attempt)
                if error.status_code not in RETRYABLE_STATUS:
                    raise LLMError(
                        f"{self.server} refused the request for model {self.model!r}: "
                        f"HTTP {error.status_code} {error.message}"
                    ) from None
                retry_after, reason = _retry_after(error), f"HTTP {error.status_code} {error.message}"
            if attempt == self.max_retries:
                raise LLMError(
                    f"LLM call failed after {self.max_retries + 1} attempts ({reason}); "
                    f"the server at {self.server} is overloaded or down"
                )
            delay = min(self.max_backoff, self.backoff * 2**attempt)
            if retry_after is not None:
                delay = min(self.max_backoff, max(delay, retry_after))
            self._report(
                f"LLM call to {self.server} failed ({reason}); retry {attempt + 1}/{self.max_retries} in {delay:g} s"
            )
            self._sleep(delay)
        self._answered = True
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        return Completion(
            text=choice.message.content or "",
            model=response.model or self.model,
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
            finish_reason=choice.finish_reason,
            retries=attempt,
        )


def _retry_after(error) -> float | None:
    """Seconds from a ``Retry-After`` header, when the server sent a number."""
    try:
        value = error.response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


def _causes(error: BaseException):
    """`error` and the exceptions it was raised from, outermost first (the client wraps httpx's)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def connection_refused(error: BaseException) -> bool:
    """True when the connection was refused: the client's error wraps a ``ConnectionRefusedError``."""
    return any(
        isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED
        for cause in _causes(error)
    )


def _innermost(error: BaseException) -> str:
    """The most specific message of a chain ("Connection error." alone says nothing)."""
    *_, last = _causes(error)
    return f"{error}" if last is error else f"{error} {type(last).__name__}: {last}"


def _print_to_stderr(line: str) -> None:
    print(f"cwmb-solve: {line}", file=sys.stderr, flush=True)
