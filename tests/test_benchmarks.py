"""The benchmark scripts still run (tiny sizes; the numbers they print are not checked here)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_sandbox_throughput_runs_and_prints_both_ratios():
    # Also prints the start-up of a bubblewrap worker and of a fallback one.
    run = subprocess.run([sys.executable, "-m", "benchmarks.sandbox_throughput", "--n", "300", "--repeats", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    rows = [line.split() for line in run.stdout.splitlines() if line.startswith(("cartpole-numpy", "state-plus-one"))]
    assert len(rows) == 4  # two world models, on two workloads (repeated episodes, the real test split)
    for row in rows:
        ratios = float(row[3]), float(row[6])
        assert all(r > 0 for r in ratios)
