"""Wall time of a full `cwmb-v1` evaluation of an 18-env submission whose `step` costs N µs.

    python -m benchmarks.full_evaluation [--step-us 20] [--jobs 2] [--protocol cwmb-v1] [--env ID ...]

Writes a synthetic submission to a temporary folder: for every environment a world model that keeps
the state unchanged (reward 0, never done: the most planning work, since no episode ends early) and
busy-waits `--step-us` microseconds per step, so that its cost matches a real code world model. Then
runs the whole evaluation (accuracy on both splits + planning) as `cwmb-eval` does and prints the wall
time per environment and in total.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from cwmb.dataset.load import is_built
from cwmb.evaluate import evaluate
from cwmb.registry import ENV_IDS

_TEMPLATE = '''
import time

class Environment:
    def __init__(self):
        self.state = None

    def set_state(self, state):
        self.state = state

    def step(self, action):
        end = time.perf_counter() + {seconds!r}
        while time.perf_counter() < end:
            pass
        return self.state, 0.0, False
'''


def write_submission(root: Path, env_ids: list[str], step_us: float) -> None:
    """The synthetic submission into `root`: for each env the static model that busy-waits `step_us` per step."""
    for env_id in env_ids:
        (root / f"{env_id}.py").write_text(_TEMPLATE.format(seconds=step_us * 1e-6))
    (root / "submission.json").write_text(json.dumps({"name": f"static-{step_us:g}us"}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step-us", type=float, default=20.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--protocol", default="cwmb-v1")
    parser.add_argument("--env", action="append")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_submission(root, args.env or list(ENV_IDS), args.step_us)
        started = time.perf_counter()
        finished: dict[str, float] = {}

        def done(env_id, entry):
            finished[env_id] = time.perf_counter() - started
            seconds = entry["seconds"]
            print(f"{env_id:<27} accuracy {seconds.get('accuracy', 0):7.1f} s   planning {seconds.get('planning', 0):7.1f} s", flush=True)

        env_ids = args.env or list(ENV_IDS)
        built = [e for e in env_ids if is_built(e)]
        unbuilt = [e for e in env_ids if e not in built]
        if built:
            evaluate(root, env_ids=built, protocol=args.protocol, jobs=args.jobs, on_env_done=done)
        if unbuilt:  # no transitions to score yet: planning only, said so in the output
            print(f"planning only (no data built yet): {', '.join(unbuilt)}")
            evaluate(root, env_ids=unbuilt, protocol=args.protocol, jobs=args.jobs, on_env_done=done, splits=())
        total = time.perf_counter() - started
    print(f"full {args.protocol} evaluation, step {args.step_us:g} µs, {args.jobs} jobs: {total:.0f} s ({total / 60:.1f} min)")


if __name__ == "__main__":
    main()
