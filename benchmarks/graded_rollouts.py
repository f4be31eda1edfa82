"""Cost of the graded metrics' open-loop rollouts on a full `cwmb-v1` evaluation, measured side by side.

    python -m benchmarks.graded_rollouts [--step-us 20] [--env ID ...]

The synthetic 18-env submission of `benchmarks.full_evaluation` (state unchanged, never done, a
`--step-us` busy wait per step) is evaluated env by env, twice in one run: as `cwmb-eval` does, and
without the open-loop rollouts (`cwmb.evaluate.rollout_plan` patched to plan none: the evaluation as
it was before them; the one-step graded numbers, a few numpy operations per split, stay). Each env
runs in this process (one job), and the order of the two alternates from env to env, so that a
change of load on a shared machine hits both alike. Prints the seconds of both per env (accuracy
phase, whole env) and the ratio of the totals (goal: at most 1.20).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import cwmb.evaluate
from benchmarks.full_evaluation import write_submission
from cwmb.evaluate import evaluate
from cwmb.registry import ENV_IDS


@contextmanager
def _without_rollouts() -> Iterator[None]:
    planned = cwmb.evaluate.rollout_plan
    cwmb.evaluate.rollout_plan = lambda transitions: {}
    try:
        yield
    finally:
        cwmb.evaluate.rollout_plan = planned


def _timed(root: Path, env_id: str, *, rollouts: bool) -> tuple[float, float]:
    """(seconds of the accuracy phase, seconds of the whole env) of one evaluation."""
    started = time.perf_counter()
    if rollouts:
        result = evaluate(root, env_ids=[env_id], jobs=1)
    else:
        with _without_rollouts():
            result = evaluate(root, env_ids=[env_id], jobs=1)
    return result["envs"][env_id]["seconds"]["accuracy"], time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step-us", type=float, default=20.0)
    parser.add_argument("--env", action="append")
    args = parser.parse_args()
    env_ids = args.env or list(ENV_IDS)
    totals = {True: 0.0, False: 0.0}
    accuracy = {True: 0.0, False: 0.0}
    print(f"{'environment':<27}{'accuracy: before':>17}{'after':>8}{'env: before':>13}{'after':>8}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_submission(root, env_ids, args.step_us)
        for n, env_id in enumerate(env_ids):
            seconds = {}
            for rollouts in ((False, True) if n % 2 == 0 else (True, False)):
                seconds[rollouts] = _timed(root, env_id, rollouts=rollouts)
                accuracy[rollouts] += seconds[rollouts][0]
                totals[rollouts] += seconds[rollouts][1]
            print(f"{env_id:<27}{seconds[False][0]:>15.1f} s{seconds[True][0]:>6.1f} s"
                  f"{seconds[False][1]:>11.1f} s{seconds[True][1]:>6.1f} s", flush=True)
    print(f"full cwmb-v1 evaluation, step {args.step_us:g} µs, one env at a time: without rollouts "
          f"{totals[False]:.0f} s, with {totals[True]:.0f} s: x{totals[True] / totals[False]:.3f} "
          f"(accuracy phase {accuracy[False]:.0f} s -> {accuracy[True]:.0f} s)")


if __name__ == "__main__":
    main()
