"""Throughput of the sandbox: batched `predict` in a worker vs. the plain in-process loop.

    python benchmarks/sandbox_throughput.py [--n 20000] [--repeats 3]

For each test world model (CartPole dynamics in numpy, and a trivial "state + 1"), the in-process
reference imports the file into this process (as the paper's harness did) and runs
``env.set_state(s); env.step(a)`` over N CartPole states; the sandbox runs the same pairs with one
`SandboxedWorldModel.predict` call, output validation and conversion to native types included.
The worker is started before timing (its start-up is printed separately). Best of `--repeats`.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np

from cwmb.sandbox import SandboxedWorldModel

HOSTILE = Path(__file__).resolve().parents[1] / "tests" / "sandbox" / "hostile"
CWMS = {"cartpole-numpy": HOSTILE / "good_cartpole.py", "state-plus-one": HOSTILE / "good_increment.py"}


def in_process(path: Path, states: list[np.ndarray], actions: list[int]) -> float:
    spec = importlib.util.spec_from_file_location("cwm", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    env = module.Environment()
    started = time.perf_counter()
    for state, action in zip(states, actions):
        env.set_state(state)
        env.step(action)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="transitions per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per setting; the best counts")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    states = list(rng.uniform(-0.2, 0.2, size=(args.n, 4)).astype(np.float32))
    actions = rng.integers(0, 2, size=args.n).tolist()
    print(f"{args.n} CartPole-v1 transitions, best of {args.repeats}")
    print(f"{'world model':<16} {'in-process /s':>14} {'sandbox /s':>12} {'ratio':>6} {'worker start':>13}")
    for name, path in CWMS.items():
        local = min(in_process(path, states, actions) for _ in range(args.repeats))
        with SandboxedWorldModel(path, "CartPole-v1") as model:
            started = time.perf_counter()
            model.load()
            startup = time.perf_counter() - started
            timings = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                predictions = model.predict(states, actions)
                timings.append(time.perf_counter() - started)
            assert all(p.ok for p in predictions)
        sandboxed = min(timings)
        print(f"{name:<16} {args.n / local:>14,.0f} {args.n / sandboxed:>12,.0f} {local / sandboxed:>6.2f} "
              f"{startup:>12.2f}s")


if __name__ == "__main__":
    main()
