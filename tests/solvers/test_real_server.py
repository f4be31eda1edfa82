"""OPT-IN: `cwmb-solve` against a real model behind llama.cpp's OpenAI-compatible server, on 127.0.0.1.

Skipped unless ``CWMB_TEST_GGUF`` names a GGUF chat model file (CI has none and needs none). The
server is started from ``CWMB_TEST_LLAMA_PYTHON`` (a Python with ``llama-cpp-python[server]``;
default: this interpreter), one thread, on a free 127.0.0.1 port, and stopped at the end::

    CWMB_TEST_GGUF=/path/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf \\
    CWMB_TEST_LLAMA_PYTHON=/path/llm-venv/bin/python \\
        python -m pytest -q tests/solvers/test_real_server.py

One zero-shot call on CartPole (at most 768 new tokens: 1-3 minutes on one core) goes through the
real client, the real server and the harness's sandboxed checker; then the transcript is replayed
offline and must rebuild the same program and tree byte for byte.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

GGUF = os.environ.get("CWMB_TEST_GGUF")
pytestmark = pytest.mark.skipif(not GGUF, reason="opt-in: set CWMB_TEST_GGUF to a GGUF chat model to run against a real server")

pytest.importorskip("openai")

from cwmb.solvers.cli import main  # noqa: E402
from cwmb.solvers.llm.transcript import read_transcript  # noqa: E402

MODEL_NAME = "local-gguf"
SERVER_START_TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """A llama.cpp server on 127.0.0.1 serving `CWMB_TEST_GGUF`; yields its /v1 URL."""
    if not Path(GGUF).is_file():
        pytest.fail(f"CWMB_TEST_GGUF={GGUF} is not a file: point it at a GGUF model")
    python = os.environ.get("CWMB_TEST_LLAMA_PYTHON", sys.executable)
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [python, "-m", "llama_cpp.server", "--model", GGUF, "--model_alias", MODEL_NAME,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "8192",
               "--n_threads", "1", "--n_threads_batch", "1"]
    with open(log, "wb") as log_file:
        server = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    try:
        while True:
            if server.poll() is not None:
                pytest.fail(f"llama.cpp server exited with {server.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"llama.cpp server not answering after {SERVER_START_TIMEOUT_S} s: {log.read_text()[-2000:]}")
                time.sleep(1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_zero_shot_against_a_real_model_then_replayed_offline(llama_server, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    common = ["--env", "CartPole-v1", "--method", "zero-shot", "--seed", "0", "--max-tokens", "768", "--model", MODEL_NAME]
    live = tmp_path / "live"
    assert main([*common, "--backend", "openai", "--base-url", llama_server, "--out", str(live)]) == 0

    [record] = read_transcript(live / "transcript.jsonl")
    assert record["backend"] == "openai" and record["completion"].strip()
    assert record["completion_tokens"] > 0 and record["prompt_tokens"] > 0
    assert record["finish_reason"] in ("stop", "length")
    tree = json.loads((live / "trees" / "CartPole-v1.json").read_text())
    assert tree["calls"] == 1 and len(tree["nodes"]) == 2

    replayed = tmp_path / "replayed"
    assert main([*common, "--backend", "replay", "--transcript", str(live / "transcript.jsonl"), "--out", str(replayed)]) == 0
    for name in ("CartPole-v1.py", "trees/CartPole-v1.json"):
        assert (live / name).read_bytes() == (replayed / name).read_bytes(), name
