"""Throughput of an accuracy check in the sandbox vs. the same world model stepped in-process.

    python -m benchmarks.sandbox_throughput [--n 20000] [--repeats 3]

Data: CartPole-v1's train and test transitions from the packaged dataset, repeated to N. For each
test world model (CartPole dynamics in numpy, and a trivial "state + 1"), two ways side by side:

- in-process (how the paper's harness ran a CWM): import the file into this process, then
  ``env.set_state(s); env.step(a)`` per transition, keeping a copy of each prediction (a model may
  mutate the array it returned), then `score_v1`;
- sandbox (ours): `SandboxedWorldModel.predict` streaming the episodes in time order (one message
  per round: the k-th transition of every episode), with the worker's and the parent's output
  checks and the conversion to native types, then the same `score_v1`.

Two workloads: N transitions (train + test repeated, each copy its own episode, so a round carries
many transitions) and the real test split (10 episodes: a round carries at most 10). Then the
start-up of a worker under bubblewrap and of one in the rlimits-only fallback.

Printed: transitions per second for "predict" (stepping only) and for the whole accuracy check,
and their ratios sandbox / in-process. The worker is started before timing (its start-up is
printed separately). Best of `--repeats`.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import time
from pathlib import Path

import numpy as np

from cwmb.dataset.load import Transitions, load_transitions
from cwmb.evaluate import predict_split
from cwmb.metrics import score_v1
from cwmb.sandbox import Limits, SandboxedWorldModel

HOSTILE = Path(__file__).resolve().parents[1] / "tests" / "sandbox" / "hostile"
CWMS = {"cartpole-numpy": HOSTILE / "good_cartpole.py", "state-plus-one": HOSTILE / "good_increment.py"}


def cartpole_transitions(n: int) -> Transitions:
    """CartPole-v1 train + test, repeated to `n` transitions; each copy of an episode is an episode
    of its own (the sandbox streams episodes in time order, one round per step)."""
    splits = [load_transitions("CartPole-v1", split) for split in ("train", "test")]
    columns = {}
    for field in dataclasses.fields(Transitions):
        if field.name == "record":
            continue
        values = [getattr(s, field.name) for s in splits]
        if field.name == "episode":  # train and test number their episodes independently
            values = [v + k * 1_000_000 for k, v in enumerate(values)]
        joined = np.concatenate(values) if isinstance(values[0], np.ndarray) else sum(values, [])
        repeats = -(-n // len(joined))
        if field.name == "episode":
            joined = np.concatenate([joined + copy * 10_000_000 for copy in range(repeats)])[:n]
            columns[field.name] = joined
            continue
        columns[field.name] = (np.tile(joined, repeats)[:n] if isinstance(joined, np.ndarray)
                               else (joined * repeats)[:n])
    return Transitions(record=splits[0].record, **columns)


def in_process(path: Path, transitions: Transitions) -> tuple[float, float]:
    """(seconds stepping, seconds for the whole check) with the CWM imported into this process."""
    spec = importlib.util.spec_from_file_location("cwm", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    env = module.Environment()
    dtype = transitions.record.observation_dtype
    started = time.perf_counter()
    predictions = []
    for state, action in zip(transitions.obs, transitions.action):
        env.set_state(state)
        next_state, reward, done = env.step(action)
        predictions.append((np.array(next_state, dtype=dtype), float(reward), bool(done)))
    stepped = time.perf_counter()
    score_v1(transitions, predictions)
    return stepped - started, time.perf_counter() - started


def sandboxed(model: SandboxedWorldModel, transitions: Transitions) -> tuple[float, float]:
    """(seconds predicting, seconds for the whole check) through the sandbox, as `cwmb-eval` does."""
    started = time.perf_counter()
    predicted = predict_split(model, transitions)
    stepped = time.perf_counter()
    assert not predicted.failures, predicted.failures
    score_v1(transitions, predicted.predictions)
    return stepped - started, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="transitions per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per setting; the best counts")
    args = parser.parse_args()

    for transitions, what in ((cartpole_transitions(args.n), "dataset train + test, repeated as distinct episodes"),
                              (load_transitions("CartPole-v1", "test"), "the test split as it is")):
        measure(transitions, what, args.repeats)
    print("worker start-up (seconds, best of 5):")
    for use_bubblewrap in (True, False):
        limits = Limits(bubblewrap=use_bubblewrap)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            with SandboxedWorldModel(CWMS["cartpole-numpy"], "CartPole-v1", limits=limits) as model:
                model.load()
                times.append(time.perf_counter() - started)
        print(f"  {model.isolation['level']:<12}{min(times):8.3f}")


def measure(transitions: Transitions, what: str, repeats: int) -> None:
    transitions.next_obs_matrix  # built once, as a loaded split is reused across candidates
    n = len(transitions)
    rounds = int(np.unique(transitions.episode, return_counts=True)[1].max())
    print(f"{n} CartPole-v1 transitions ({what}; {rounds} rounds), best of {repeats}")
    print(f"{'world model':<16}{'predict /s':>24}{'ratio':>8}{'accuracy check /s':>26}{'ratio':>8}{'worker start':>14}")
    print(f"{'':<16}{'in-process':>12}{'sandbox':>12}{'':>7}{'in-process':>13}{'sandbox':>13}")
    for name, path in CWMS.items():
        local = [in_process(path, transitions) for _ in range(repeats)]
        with SandboxedWorldModel(path, "CartPole-v1") as model:
            started = time.perf_counter()
            model.load()
            startup = time.perf_counter() - started
            remote = [sandboxed(model, transitions) for _ in range(repeats)]
        step_local, step_remote = min(t[0] for t in local), min(t[0] for t in remote)
        check_local, check_remote = min(t[1] for t in local), min(t[1] for t in remote)
        print(f"{name:<16}{n / step_local:>12,.0f}{n / step_remote:>12,.0f} {step_local / step_remote:>7.3g}"
              f"{n / check_local:>13,.0f}{n / check_remote:>13,.0f} {check_local / check_remote:>7.3g}"
              f"{startup:>13.2f}s")


if __name__ == "__main__":
    main()
