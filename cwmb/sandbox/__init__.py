"""Run untrusted code world models: one separate, limited worker process per submission.

`SandboxedWorldModel` (parent side, `client.py`) is what the harness uses; `worker.py` is the
child's command loop and documents the message protocol; `limits.py` holds `Limits` and the code
that applies them inside the child. The isolation guarantees, and their limits, are listed in
`client.py`'s docstring.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Failure", "Limits", "Prediction", "SandboxedWorldModel", "Trajectory"]


def __getattr__(name: str) -> Any:
    # Imported lazily: the worker process imports this package too, and must not pay for (or
    # expose to the submission) the parent's dependencies (pyarrow through the schema codec).
    if name == "Limits":
        from cwmb.sandbox.limits import Limits

        return Limits
    if name in ("Failure", "Prediction", "SandboxedWorldModel", "Trajectory"):
        from cwmb.sandbox import client

        return getattr(client, name)
    raise AttributeError(f"module 'cwmb.sandbox' has no attribute {name!r}")
