"""Where units of work run: a local process pool (the default) or Ray (optional extra `cwmb[ray]`).

A unit is a module-level function called with plain, picklable keyword arguments and returning
plain data: one environment of an evaluation, one reference episode, one collected episode. Units
share no state, so either backend (or a resumed run) gives the same numbers; only the order in which
units finish differs, and callers merge results by key.

    for key, result in run_units(evaluate_source, {"CartPole-v1": {...}}, backend="ray", jobs=4):
        ...

Ray: without `RAY_ADDRESS`, a private single-machine Ray instance is started with `jobs` CPUs and
bound to 127.0.0.1; with `RAY_ADDRESS` set (e.g. ``ray://head:10001``), units go to that cluster,
whose nodes must have the same version of `cwmb` installed.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

from cwmb.errors import CWMBError

BACKENDS = ("local", "ray")

Key = TypeVar("Key")


def run_units(function: Callable[..., Any], units: Mapping[Key, dict[str, Any]], *, backend: str = "local",
              jobs: int = 1) -> Iterator[tuple[Key, Any]]:
    """Call `function(**kwargs)` for every unit; yield `(key, result)` as each finishes.

    `backend="local"` with `jobs <= 1` runs in this process, in order (easiest to debug); with more
    jobs, in a pool of `jobs` processes. An exception in a unit propagates to the caller. When the
    caller stops early (Ctrl-C, SIGTERM, an exception), the pool's workers are stopped at once
    rather than awaited; they ignore Ctrl-C themselves, so only the caller reports it.
    """
    if backend not in BACKENDS:
        raise CWMBError(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")
    if jobs < 1:
        raise CWMBError(f"jobs must be at least 1, got {jobs}")
    if backend == "ray":
        yield from _run_on_ray(function, units, jobs)
    elif jobs == 1:
        for key, kwargs in units.items():
            yield key, function(**kwargs)
    else:
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=_leave_interrupts_to_the_parent)
        try:
            futures = {pool.submit(function, **kwargs): key for key, kwargs in units.items()}
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BaseException:  # KeyboardInterrupt, GeneratorExit too: do not wait for running units
            _stop_pool(pool)
            raise
        pool.shutdown()


def _leave_interrupts_to_the_parent() -> None:
    """Pool workers share the terminal's process group: without this, Ctrl-C prints a traceback per
    worker. A forked worker also inherits the parent's SIGTERM handler (`cwmb.cli` raises on it); it
    must simply end when `_stop_pool` terminates it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued units and terminate the workers running the others."""
    workers = list((pool._processes or {}).values())  # no public accessor; CPython has had it since 3.2
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(timeout=5)


def _run_on_ray(function: Callable[..., Any], units: Mapping[Key, dict[str, Any]], jobs: int) -> Iterator[tuple[Key, Any]]:
    address = os.environ.get("RAY_ADDRESS")
    if not address:
        # A private instance: Ray then gives its node the loopback address instead of the machine's
        # (read when `ray` is imported; the variable's name is Ray's, not ours).
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError:
        raise CWMBError("the ray backend needs Ray: pip install 'cwmb[ray]'") from None
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(num_cpus=1)(function)
    keys = {remote.remote(**kwargs): key for key, kwargs in units.items()}
    pending = list(keys)
    while pending:
        (ready,), pending = ray.wait(pending, num_returns=1)
        yield keys[ready], ray.get(ready)
