"""`cwmb-eval`: score a code world model (or a submission folder) and write its result file.

    cwmb-eval PATH [--env ID ...] [--protocol cwmb-v1|paper-2024] [--split test|train]
              [--episodes N] [--jobs N] [--backend local|ray] [--skip-planning]
              [--output results.json] [--resume]
    cwmb-eval --self-check
    cwmb-eval --renormalise RESULT.json

Exit status: 0 when the evaluation ran (whatever the submission scored), 2 for a usage error
(missing path, unknown env, malformed submission.json, an existing result without --resume), 1 when
the self-check finds the harness, the data or the simulator in disagreement.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

import cwmb
from cwmb.backends import BACKENDS
from cwmb.errors import CWMBError
from cwmb.protocols import DEFAULT_PROTOCOL, PROTOCOLS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cwmb-eval", description="Score a code world model on CWMB.")
    parser.add_argument("path", nargs="?", help="a world model .py file or a submission folder")
    parser.add_argument("--env", action="append", help="environment id (repeatable; default: every file)")
    parser.add_argument("--protocol", default=DEFAULT_PROTOCOL, choices=list(PROTOCOLS))
    parser.add_argument("--split", choices=["train", "test"], help="score one split only (default: both)")
    parser.add_argument("--episodes", type=int, help="planning episodes per env (default: the protocol's)")
    parser.add_argument("--jobs", type=int, default=1, help="environments evaluated in parallel")
    parser.add_argument("--backend", default="local", choices=list(BACKENDS),
                        help="where environments run: local processes, or Ray (pip install 'cwmb[ray]'; "
                             "RAY_ADDRESS selects a cluster)")
    parser.add_argument("--skip-planning", action="store_true", help="accuracy only")
    parser.add_argument("--output", type=Path, help="result file (default: results/<name>.<protocol>.json)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run of the same output")
    parser.add_argument("--paper-data", help="folder of the imported paper-2024 data (data_builders.import_paper)")
    parser.add_argument("--renormalise", type=Path, metavar="RESULT",
                        help="recompute a result file's normalised returns from the shipped references, in place")
    parser.add_argument("--self-check", action="store_true", help="check harness, data and simulator agree")
    parser.add_argument("--version", action="version", version=f"cwmb {cwmb.__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from cwmb.evaluate import simulator_version_warning

    warning = simulator_version_warning()
    if warning:
        print(warning, file=sys.stderr)
    try:
        if args.self_check:
            from cwmb.self_check import run_self_check

            return run_self_check()
        if args.renormalise:
            return _renormalise(args.renormalise)
        if not args.path:
            raise CWMBError("give a world model .py file or a submission folder (or --self-check)")
        return _evaluate(args)
    except CWMBError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _renormalise(path: Path) -> int:
    from cwmb.evaluate import renormalise
    from cwmb.results import read_result, write_result

    result = read_result(path)
    if result["kind"] != "evaluated":
        raise CWMBError(f"{path} holds reported numbers; only evaluated results are renormalised")
    write_result(renormalise(result), path)
    print(summary_table(result))
    print(f"{path} renormalised with the shipped reference returns")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from cwmb.evaluate import evaluate, load_submission
    from cwmb.results import write_result

    submission = load_submission(args.path, args.env)  # usage errors before any work
    output = args.output or Path("results") / f"{submission.name}.{args.protocol}.json"
    partial_dir = output.with_name(output.name + ".partial")
    if output.exists() and not args.resume:
        raise CWMBError(f"{output} exists: pass --resume to reuse it, or --output to write elsewhere")
    if output.exists() and args.resume and not partial_dir.exists():
        print(f"{output} is complete; nothing to do")
        return 0
    progress = tqdm(total=len(submission.files), desc=f"{submission.name} [{args.protocol}]", unit="env")

    def done(env_id: str, entry: dict[str, Any]) -> None:
        progress.set_postfix_str(env_id)
        progress.update()

    result = evaluate(
        args.path,
        env_ids=args.env,
        protocol=args.protocol,
        episodes=args.episodes,
        skip_planning=args.skip_planning,
        jobs=args.jobs,
        backend=args.backend,
        partial_dir=partial_dir,
        paper_data=args.paper_data,
        on_env_done=done,
        splits=(args.split,) if args.split else ("train", "test"),
    )
    progress.close()
    write_result(result, output)
    shutil.rmtree(partial_dir, ignore_errors=True)
    print(summary_table(result))
    print(f"result written to {output}")
    return 0


def summary_table(result: dict[str, Any]) -> str:
    """A readable table: one line per environment, then the aggregates."""
    header = f"{'environment':<27}{'status':<17}{'acc train':>10}{'acc test':>10}{'return':>11}{'normalised':>12}"
    lines = [header, "-" * len(header)]
    for env_id, entry in result["envs"].items():
        acc = {s: entry["accuracy"].get(s, {}).get("accuracy") for s in ("train", "test")}
        planning = entry.get("planning") or {}
        status = entry["status"] if entry["status"] == "ok" else f"failed:{entry['failure']['category']}"
        norm = planning.get("normalised_return")
        lines.append(
            f"{env_id:<27}{status:<17}{_fmt(acc['train']):>10}{_fmt(acc['test']):>10}"
            f"{_fmt(planning.get('mean_return'), 1):>11}{_fmt(norm) if norm is not None else ('N/A' if planning else '-'):>12}"
        )
    aggregate = result["aggregate"]
    for name in ("accuracy", "normalised_return"):
        if aggregate.get(name):
            parts = [f"{g} {_fmt(v['mean'])}" + (f" [{_fmt(v['ci95'][0])}, {_fmt(v['ci95'][1])}]" if v.get("ci95") else "")
                     for g, v in aggregate[name].items()]
            lines.append(f"{name}: " + "; ".join(parts))
    return "\n".join(lines)


def _fmt(value: Any, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


if __name__ == "__main__":
    sys.exit(main())
