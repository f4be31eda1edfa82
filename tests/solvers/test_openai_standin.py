"""The `openai` backend through the real `openai` client, against a local stand-in server.

`tests/solvers/openai_standin.py` is a STAND-IN for an OpenAI-compatible server on 127.0.0.1
(no real model, no network): it checks the HTTP path, retries on 429/500, the transcript, and that
replaying the transcript offline rebuilds the same search tree.
"""

import json
import re
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("openai")

from cwmb.solvers.cli import main  # noqa: E402
from cwmb.solvers.gif_mcts import GIFMCTS, GIFMCTSConfig  # noqa: E402
from cwmb.solvers.llm import make_backend  # noqa: E402
from cwmb.solvers.llm.base import LLMError, SamplingParams, ServerUnreachable, request_seed  # noqa: E402
from cwmb.solvers.llm.openai_backend import OpenAIBackend  # noqa: E402
from cwmb.solvers.llm.replay import ReplayBackend  # noqa: E402
from cwmb.solvers.llm.transcript import RecordingLLM, read_transcript  # noqa: E402
from tests.solvers.helpers import TASK, FakeScorer, scripted_programs, write_descriptions  # noqa: E402
from tests.solvers.openai_standin import OpenAIStandIn  # noqa: E402

MESSAGES = [{"role": "user", "content": "hello"}]
SPECS = [0.2, 0.7, (0.1, True), 0.4, 0.6, 0.3]


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CWMB_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def backend_for(server, sleeps=None, **options):
    sleeps = [] if sleeps is None else sleeps
    return OpenAIBackend("standin-model", base_url=server.base_url, sleep=sleeps.append, backoff=0.5, **options)


def test_a_call_through_the_openai_client():
    with OpenAIStandIn(lambda messages, n: "hi there") as server:
        completion = backend_for(server).complete(MESSAGES, SamplingParams(temperature=0.7, top_p=0.9, max_tokens=64, seed=5))
    assert completion.text == "hi there" and completion.model == "standin-model"
    assert (completion.prompt_tokens, completion.completion_tokens, completion.retries) == (1, 2, 0)
    body = server.requests[0]["body"]
    assert server.requests[0]["path"] == "/v1/chat/completions"
    assert body["messages"] == MESSAGES and body["model"] == "standin-model"
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.7, 0.9, 64)
    assert body["seed"] == request_seed(5, 0)


REAL_BLACKJACK = (Path(__file__).resolve().parent / "real_completions" / "blackjack_generate_repeated_with_one_seed.md").read_text()


def test_a_repeated_prompt_is_sent_a_new_seed_so_a_seeded_server_samples_again(tmp_path):
    """Real failure: llama.cpp answers one prompt and seed with one completion. Sent the run's seed
    every time, 9 of GIF-MCTS's 10 Blackjack generate calls returned this same program."""
    path = tmp_path / "transcript.jsonl"

    def like_llama_cpp(messages, number):  # deterministic in (prompt, seed), as a seeded server is
        seed = server.requests[-1]["body"]["seed"]
        return REAL_BLACKJACK if seed == 0 else f"{REAL_BLACKJACK}\n# sample of seed {seed}"

    with OpenAIStandIn(like_llama_cpp) as server:
        llm = RecordingLLM(backend_for(server), SamplingParams(seed=0), transcript=path)
        texts = [llm.complete(MESSAGES, tag="generate").text for _ in range(3)]
    sent = [r["body"]["seed"] for r in server.requests]
    assert len(set(sent)) == 3 and len(set(texts)) == 3 and texts[0] == REAL_BLACKJACK
    assert [r["request_seed"] for r in read_transcript(path)] == sent
    replay = RecordingLLM(ReplayBackend(path), SamplingParams(seed=0))
    assert [replay.complete(MESSAGES).text for _ in range(3)] == texts


def test_request_seeds_never_collide_across_run_seeds_and_samples():
    seeds = {request_seed(seed, index) for seed in range(20) for index in range(500)}
    assert len(seeds) == 20 * 500 and max(seeds) < 2**31
    assert request_seed(None, 3) is None


def test_retries_on_429_and_500_with_backoff():
    sleeps = []
    with OpenAIStandIn(lambda messages, n: "finally") as server:
        server.failures = [(429, {}), (500, {}), (503, {"retry-after": "3"})]
        completion = backend_for(server, sleeps).complete(MESSAGES, SamplingParams())
    assert completion.text == "finally" and completion.retries == 3
    assert len(server.requests) == 4
    assert sleeps == [0.5, 1.0, 3.0]  # doubling backoff; Retry-After wins when longer


def test_gives_up_after_the_last_retry():
    with OpenAIStandIn(lambda messages, n: "never") as server:
        server.failures = [(429, {})] * 3
        with pytest.raises(LLMError, match=re.escape("LLM call failed after 3 attempts (HTTP 429")):
            backend_for(server, max_retries=2).complete(MESSAGES, SamplingParams())
    assert len(server.requests) == 3


def test_client_errors_are_not_retried():
    with OpenAIStandIn(lambda messages, n: "never") as server:
        server.failures = [(400, {})]
        with pytest.raises(LLMError, match="HTTP 400"):
            backend_for(server).complete(MESSAGES, SamplingParams())
    assert len(server.requests) == 1


def test_a_prompt_longer_than_the_context_is_an_empty_answer():
    def overflow(messages, number):
        raise AssertionError("not reached")

    with OpenAIStandIn(overflow) as server:
        server.failures = [(400, {})]
        server.failure_message = "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens."
        completion = backend_for(server).complete(MESSAGES, SamplingParams())
    assert completion.text == "" and completion.finish_reason.startswith("context_overflow: ") and "maximum context length" in completion.finish_reason


def closed_port_url() -> str:
    """A /v1 URL on 127.0.0.1 where nothing listens (a port the kernel just handed out and freed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


class DroppingServer:
    """Accepts connections on 127.0.0.1 and closes them unanswered (a server that crashes mid-request)."""

    def __init__(self):
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self.base_url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/v1"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.connections = 0

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            connection.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()


def test_a_dropped_connection_is_retried_then_reported():
    sleeps, reports = [], []
    with DroppingServer() as server:
        backend = OpenAIBackend("m", base_url=server.base_url, sleep=sleeps.append, report=reports.append,
                                backoff=0.01, max_retries=1, timeout=5)
        with pytest.raises(LLMError, match="after 2 attempts") as raised:
            backend.complete(MESSAGES, SamplingParams())
    assert not isinstance(raised.value, ServerUnreachable)
    assert sleeps == [0.01] and server.connections == 2
    assert len(reports) == 1 and server.base_url in reports[0] and "retry 1/1 in 0.01 s" in reports[0]


def test_a_refused_connection_fails_at_once_naming_the_url():
    url = closed_port_url()
    sleeps, reports = [], []
    backend = OpenAIBackend("m", base_url=url, sleep=sleeps.append, report=reports.append)
    with pytest.raises(ServerUnreachable, match=re.escape(f"no LLM server at {url}: connection refused")):
        backend.complete(MESSAGES, SamplingParams())
    assert sleeps == [] and reports == []  # no backoff: nothing listens, waiting cannot help


def test_a_server_that_answered_then_refuses_is_retried_as_a_restart():
    sleeps, reports = [], []
    with OpenAIStandIn(lambda messages, n: "before the restart") as server:
        url = server.base_url
        backend = OpenAIBackend("m", base_url=url, sleep=sleeps.append, report=reports.append, backoff=0.01, max_retries=2)
        assert backend.complete(MESSAGES, SamplingParams()).text == "before the restart"
    # The server is gone (a restart that never came back): retried with backoff and reported, then given up.
    with pytest.raises(LLMError, match=re.escape("after 3 attempts")) as raised:
        backend.complete(MESSAGES, SamplingParams())
    assert not isinstance(raised.value, ServerUnreachable)
    assert sleeps == [0.01, 0.02] and len(reports) == 2 and all(url in line and "Connection refused" in line for line in reports)


def test_retries_are_printed_on_stderr(capsys):
    with OpenAIStandIn(lambda messages, n: "after a retry") as server:
        server.failures = [(503, {})]
        backend = OpenAIBackend("standin-model", base_url=server.base_url, sleep=lambda seconds: None)
        assert backend.complete(MESSAGES, SamplingParams()).text == "after a retry"
    err = capsys.readouterr().err
    assert f"LLM call to {server.base_url} failed (HTTP 503 Error code: 503 - stand-in failure 503); retry 1/6 in 2 s" in err


def test_cli_against_a_closed_port_stops_at_once(tmp_path, capsys):
    url = closed_port_url()
    descriptions = write_descriptions(tmp_path / "descriptions.jsonl", ("Taxi-v4", "CliffWalking-v1"))
    started = time.monotonic()
    code = main(["--env", "Taxi-v4", "--env", "CliffWalking-v1", "--backend", "openai", "--base-url", url,
                 "--model", "m", "--budget", "3", "--descriptions", str(descriptions), "--out", str(tmp_path / "out")],
                scorer=FakeScorer())
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 1 and elapsed < 10, (code, elapsed, err)
    assert f"cwmb-solve: Taxi-v4: no LLM server at {url}: connection refused" in err
    assert "failed on Taxi-v4, CliffWalking-v1" in err and "retry" not in err
    assert err.count("connection refused") == 1  # the second environment is not tried against the same dead URL


def test_settings_from_the_environment(monkeypatch):
    with OpenAIStandIn(lambda messages, n: "env") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("CWMB_LLM_MODEL", "from-env")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        backend = make_backend("openai")
        assert backend.model == "from-env" and backend.complete(MESSAGES, SamplingParams()).text == "env"
    assert server.requests[0]["auth"] == "Bearer sk-test"


def test_gif_mcts_through_the_server_then_replayed_offline(tmp_path):
    path = tmp_path / "transcript.jsonl"
    with OpenAIStandIn(scripted_programs(SPECS)) as server:
        server.failures = [(429, {}), (500, {})]  # the first call is retried twice
        llm = RecordingLLM(backend_for(server), SamplingParams(seed=0), transcript=path, context={"env_id": "Taxi-v4"})
        live = GIFMCTS(TASK, llm, FakeScorer(), GIFMCTSConfig(budget=6)).run()
    assert len(server.requests) == 6 + 2
    records = read_transcript(path)
    assert len(records) == 6 and records[0]["retries"] == 2 and records[0]["backend"] == "openai"
    assert all(r["prompt_tokens"] > 0 and r["completion_tokens"] > 0 and r["latency_s"] >= 0 for r in records)
    assert [r["tag"] for r in records] == [s.action for s in live.steps]
    assert live.tokens == sum(r["prompt_tokens"] + r["completion_tokens"] for r in records)

    # The server is gone: the replay answers every call from the transcript.
    replay = RecordingLLM(ReplayBackend(path), SamplingParams(seed=0))
    replayed = GIFMCTS(TASK, replay, FakeScorer(), GIFMCTSConfig(budget=6)).run()
    assert json.dumps(replayed.tree, sort_keys=True) == json.dumps(live.tree, sort_keys=True)


def test_cli_with_the_openai_backend_then_replay(tmp_path, capsys, monkeypatch):
    sleeps = []
    monkeypatch.setattr("cwmb.solvers.llm.openai_backend.time.sleep", sleeps.append)
    descriptions = write_descriptions(tmp_path / "descriptions.jsonl")
    common = ["--env", "Taxi-v4", "--method", "gif-mcts", "--budget", "5", "--seed", "1", "--descriptions", str(descriptions)]
    with OpenAIStandIn(scripted_programs(SPECS)) as server:
        server.failures = [(500, {})]
        code = main([*common, "--backend", "openai", "--base-url", server.base_url, "--model", "standin-model",
                     "--out", str(tmp_path / "live")], scorer=FakeScorer())
    assert code == 0 and sleeps == [2.0]  # the default first backoff
    assert "call 5/5" in capsys.readouterr().err
    code = main([*common, "--backend", "replay", "--transcript", str(tmp_path / "live" / "transcript.jsonl"),
                 "--out", str(tmp_path / "replayed")], scorer=FakeScorer())
    assert code == 0
    for name in ("Taxi-v4.py", "trees/Taxi-v4.json"):
        assert (tmp_path / "live" / name).read_text() == (tmp_path / "replayed" / name).read_text()


def test_request_timeout_is_the_clients_and_a_slow_answer_is_retried(tmp_path, capsys, monkeypatch):
    # Seen for real: Qwen2.5-Coder-1.5B on a loaded 2-core CPU took 450-550 s per call, and a request
    # queued behind another passed the client's 600 s timeout. --request-timeout sets that limit.
    sleeps = []
    monkeypatch.setattr("cwmb.solvers.llm.openai_backend.time.sleep", sleeps.append)
    descriptions = write_descriptions(tmp_path / "descriptions.jsonl")

    def slow_first_answer(messages, number):
        if number == 0:
            threading.Event().wait(1.5)  # not time.sleep: the test replaces it with a recorder
        return scripted_programs([0.3])(messages, 0)

    common = ["--env", "Taxi-v4", "--method", "zero-shot", "--descriptions", str(descriptions), "--model", "m"]
    with OpenAIStandIn(slow_first_answer) as server:
        code = main([*common, "--backend", "openai", "--base-url", server.base_url, "--request-timeout", "0.5",
                     "--out", str(tmp_path / "short")], scorer=FakeScorer())
    err = capsys.readouterr().err
    assert code == 0 and server.answered == 2 and sleeps == [2.0]  # the slow answer timed out once, then retried
    assert "failed (APITimeoutError" in err and "retry 1/6 in 2 s" in err
    with OpenAIStandIn(slow_first_answer) as server:
        code = main([*common, "--backend", "openai", "--base-url", server.base_url, "--request-timeout", "30",
                     "--out", str(tmp_path / "long")], scorer=FakeScorer())
    assert code == 0 and server.answered == 1 and sleeps == [2.0]  # waited: no second request


def test_a_bad_request_timeout_is_one_line_error(tmp_path, capsys):
    code = main(["--env", "Taxi-v4", "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
                 "--request-timeout", "0", "--out", str(tmp_path / "out")], scorer=FakeScorer())
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == "cwmb-solve: --request-timeout must be a positive number of seconds, got 0"


def test_default_timeouts_openai_and_self_hosted(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert OpenAIBackend("gpt-4-turbo").timeout == 600.0
    assert OpenAIBackend("local", base_url="http://127.0.0.1:8000/v1").timeout == 3600.0
    assert OpenAIBackend("local", base_url="http://127.0.0.1:8000/v1", timeout=30).timeout == 30
