"""A LOCAL STAND-IN for an OpenAI-compatible chat-completions server, on 127.0.0.1 only.

It is not OpenAI, vLLM or any real model: it answers ``POST /v1/chat/completions`` with texts
from a Python function, in the wire format the `openai` client expects, so that tests exercise the
real client path (HTTP, JSON, errors, retries) without any network. Queued failures (status code,
headers) are answered first, one per request, to test retries.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class OpenAIStandIn:
    """``with OpenAIStandIn(responder) as server: ... server.base_url ...``

    Args:
        responder: ``responder(messages, number) -> text``; `number` counts answered requests.
    """

    def __init__(self, responder):
        self.responder = responder
        self.requests: list[dict] = []
        self.failures: list[tuple[int, dict[str, str]]] = []
        self.answered = 0
        self.failure_message = ""
        """Error message of queued failures (default: "stand-in failure STATUS")."""
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with standin._lock:
                    standin.requests.append({"path": self.path, "body": body, "auth": self.headers.get("authorization")})
                    failure = standin.failures.pop(0) if standin.failures else None
                    number = standin.answered
                    if failure is None:
                        standin.answered += 1
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                if failure is not None:
                    status, headers = failure
                    message = standin.failure_message or f"stand-in failure {status}"
                    return self._send(status, {"error": {"message": message, "type": "standin"}}, headers)
                text = standin.responder(body["messages"], number)
                prompt_tokens = sum(len(m["content"].split()) for m in body["messages"])
                self._send(200, {
                    "id": f"chatcmpl-standin-{number}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(text.split()),
                              "total_tokens": prompt_tokens + len(text.split())},
                })

            def _send(self, status, payload, headers=None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> OpenAIStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
