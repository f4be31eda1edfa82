"""Seconds to score one candidate program on the train split, sandbox included (what GIF-MCTS pays per node).

    python -m benchmarks.check_program

For every environment with data: `cwmb.evaluate.check_program` on the exact reference world model
where one exists, else the static baseline; best of 3 runs, each starting a fresh sandbox worker.
"""

from __future__ import annotations

import time
from pathlib import Path

from cwmb.dataset.load import split_file
from cwmb.evaluate import check_program
from cwmb.registry import ENV_IDS

SUBMISSIONS = Path(__file__).resolve().parent.parent / "submissions"


def main() -> None:
    print(f"{'env':<27}{'program':<17}{'transitions':>12}{'seconds':>9}{'accuracy':>10}")
    worst = 0.0
    for env_id in ENV_IDS:
        if not split_file(env_id, "train").exists():
            print(f"{env_id:<27}(not built)")
            continue
        exact = SUBMISSIONS / "exact" / f"{env_id}.py"
        path = exact if exact.exists() else SUBMISSIONS / "baseline-static" / f"{env_id}.py"
        source = path.read_text()
        times = []
        for _ in range(3):
            start = time.perf_counter()
            check = check_program(source, env_id)
            times.append(time.perf_counter() - start)
        import pyarrow.parquet as pq

        n = pq.read_metadata(split_file(env_id, "train")).num_rows
        worst = max(worst, min(times))
        print(f"{env_id:<27}{path.parent.name:<17}{n:>12}{min(times):>9.2f}{check.accuracy:>10.3f}")
    print(f"slowest environment: {worst:.2f} s per candidate (goal <= 1 s)")


if __name__ == "__main__":
    main()
