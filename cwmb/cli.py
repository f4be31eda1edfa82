"""`cwmb-eval`: score a code world model (or a submission folder) and write its result file.

    cwmb-eval PATH [--env ID ...] [--protocol cwmb-v1|paper-2024] [--split test|train]
              [--episodes N] [--jobs N] [--backend local|ray] [--skip-planning]
              [--output results.json] [--resume]
    cwmb-eval --self-check
    cwmb-eval --renormalise RESULT.json

Exit status: 0 when the evaluation ran (whatever the submission scored), 2 for a usage error
(missing path, unknown env, malformed submission.json, an invalid option, an existing result without
--resume), 1 when the self-check finds the harness, the data or the simulator in disagreement, 130
or 143 when stopped by SIGINT (Ctrl-C) or SIGTERM: the environments finished so far are saved and
`--resume` continues. Every error is one line on stderr, and every option is checked before any work.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import shutil
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

import cwmb
from cwmb.backends import BACKENDS
from cwmb.errors import CWMBError
from cwmb.protocols import DEFAULT_PROTOCOL, PROTOCOLS


#: Where results go when --output is not given: results/<name>.<protocol>.json (created if missing).
RESULTS_DIR = Path("results")
#: Exit statuses of a run stopped by a signal (the shell's 128 + signal number).
EXIT_SIGINT, EXIT_SIGTERM = 128 + signal.SIGINT, 128 + signal.SIGTERM


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints the whole usage first: one line instead
        self.exit(2, f"error: {message} (cwmb-eval --help lists the options)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cwmb-eval", description="Score a code world model on CWMB.")
    parser.add_argument("path", nargs="?", help="a world model .py file or a submission folder")
    parser.add_argument("--env", action="append", help="environment id (repeatable; default: every file)")
    parser.add_argument("--protocol", default=DEFAULT_PROTOCOL, choices=list(PROTOCOLS))
    parser.add_argument("--split", choices=["train", "test"], help="score one split only (default: both)")
    parser.add_argument("--episodes", type=_positive_int, help="planning episodes per env (default: the protocol's)")
    parser.add_argument("--jobs", type=_positive_int, default=1, help="environments evaluated in parallel")
    parser.add_argument("--backend", default="local", choices=list(BACKENDS),
                        help="where environments run: local processes, or Ray (pip install 'cwmb[ray]'; "
                             "RAY_ADDRESS selects a cluster)")
    parser.add_argument("--skip-planning", action="store_true", help="accuracy only")
    parser.add_argument("--output", type=Path, help="result file (default: results/<name>.<protocol>.json)")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run, or update a result: saved environments whose program, "
                             "protocol, options and data are unchanged are reused, the others computed again")
    parser.add_argument("--paper-data", help="folder of the imported paper-2024 data (data_builders.import_paper)")
    parser.add_argument("--renormalise", type=Path, metavar="RESULT",
                        help="recompute a result file's normalised returns from the shipped references, in place")
    parser.add_argument("--self-check", action="store_true", help="check harness, data and simulator agree")
    parser.add_argument("--version", action="version", version=f"cwmb {cwmb.__version__}")
    return parser


class Terminated(Exception):
    """SIGTERM, raised in the main thread like SIGINT's KeyboardInterrupt, so both stop the same way."""


class Interrupted(Exception):
    """A stopped run: the one line to print and the exit status."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises `Terminated` in the main thread meanwhile; both handlers are restored after."""
    def raise_terminated(signum: int, frame: Any) -> None:
        raise Terminated()

    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with _sigterm_raises():
        try:
            _check_options(args)
            from cwmb.evaluate import simulator_version_warning

            warning = simulator_version_warning()
            if warning:
                print(warning, file=sys.stderr)
            if args.self_check:
                from cwmb.self_check import run_self_check

                return run_self_check()
            if args.renormalise:
                return _renormalise(args.renormalise)
            return _evaluate(args)
        except CWMBError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        except (KeyboardInterrupt, Terminated) as stop:  # outside an evaluation: nothing to save
            print("interrupted", file=sys.stderr)
            return EXIT_SIGINT if isinstance(stop, KeyboardInterrupt) else EXIT_SIGTERM
        except Interrupted as stop:  # an evaluation, which says what it saved
            print(stop, file=sys.stderr)
            return stop.status


def _check_options(args: argparse.Namespace) -> None:
    """Every option checked before any work (argparse checks types and choices); `CWMBError` otherwise."""
    modes = [name for name, given in (("a submission path", args.path), ("--self-check", args.self_check),
                                      ("--renormalise", args.renormalise)) if given]
    if not modes:
        raise CWMBError("give a world model .py file or a submission folder (or --self-check)")
    if len(modes) > 1:
        raise CWMBError(f"{' and '.join(modes)} are separate commands: give one of them")
    if args.episodes is not None and args.skip_planning:
        raise CWMBError("--episodes sets planning episodes and --skip-planning plans none: give one of them")
    if args.paper_data is not None:
        if args.protocol != "paper-2024":
            raise CWMBError(f"--paper-data is the paper-2024 protocol's data: add --protocol paper-2024 "
                            f"(this run is {args.protocol})")
        if not Path(args.paper_data).is_dir():
            raise CWMBError(f"--paper-data {args.paper_data}: no such folder (make it with data_builders.import_paper)")
    if args.output is not None:
        if args.output.is_dir():
            raise CWMBError(f"--output {args.output} is a folder: give the result file, e.g. "
                            f"{args.output / 'NAME.PROTOCOL.json'}")
        if not args.output.parent.is_dir():
            raise CWMBError(f"--output {args.output}: folder {args.output.parent} does not exist; create it first")
    if args.backend == "ray" and importlib.util.find_spec("ray") is None:
        raise CWMBError("--backend ray needs Ray: pip install -e '.[ray]'")


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
    output = args.output or RESULTS_DIR / f"{submission.name}.{args.protocol}.json"
    partial_dir = output.with_name(output.name + ".partial")
    if output.exists() and not args.resume:
        raise CWMBError(f"{output} exists: pass --resume to reuse it, or --output to write elsewhere")
    previous = _previous_result_of_this_run(output, submission, args) if output.exists() else None
    # --resume on a complete result: it is the saved state (an interrupted update's partials are newer).
    updating = previous is not None and not partial_dir.exists()
    if updating:
        from cwmb.evaluate import save_result_as_partials

        save_result_as_partials(previous, partial_dir)
    progress: list[tqdm] = []  # made once evaluate() has said what it reuses
    recomputed: list[str] = []

    def resumed(reused: list[str], stale: dict[str, str]) -> None:
        if reused:
            print(f"resume: reusing {len(reused)} saved environment(s) from {partial_dir}", file=sys.stderr)
        for reason in dict.fromkeys(stale.values()):
            envs = [env_id for env_id, why in stale.items() if why == reason]
            print(f"resume: computing {', '.join(envs)} again: {reason}", file=sys.stderr)
        recomputed.extend(stale)
        progress.append(tqdm(total=len(submission.files), initial=len(reused),
                             desc=f"{submission.name} [{args.protocol}]", unit="env"))

    def done(env_id: str, entry: dict[str, Any]) -> None:
        recomputed.append(env_id)
        progress[0].set_postfix_str(env_id)
        progress[0].update()

    try:
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
            on_resume=resumed,
            splits=(args.split,) if args.split else ("train", "test"),
        )
    except (KeyboardInterrupt, Terminated) as stop:
        for signum in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not interrupt the clean-up
            signal.signal(signum, signal.SIG_IGN)
        for bar in progress:
            bar.close()
        saved = len(list(partial_dir.glob("*.json"))) if partial_dir.is_dir() else 0
        status = EXIT_SIGINT if isinstance(stop, KeyboardInterrupt) else EXIT_SIGTERM
        raise Interrupted(f"interrupted: {saved} environment(s) saved in {partial_dir}; rerun with --resume",
                          status) from None
    progress[0].close()
    if updating and not recomputed:
        shutil.rmtree(partial_dir, ignore_errors=True)
        print(f"{output} is up to date with these settings; nothing to do")
        return 0
    write_result(result, output)
    shutil.rmtree(partial_dir, ignore_errors=True)
    print(summary_table(result))
    print(f"result written to {output}")
    return 0


def _previous_result_of_this_run(output: Path, submission: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The result at `output`, which `--resume` updates; another run's result (kind, protocol,
    submission, set of environments) is refused, never replaced."""
    from cwmb.registry import ENV_IDS
    from cwmb.results import read_result

    previous = read_result(output)
    elsewhere = "pass --output to write this run elsewhere"
    if previous["kind"] != "evaluated":
        raise CWMBError(f"{output} holds reported numbers, not a cwmb-eval run: {elsewhere}")
    if previous["protocol"].get("name") != args.protocol:
        raise CWMBError(f"{output} holds a {previous['protocol'].get('name')} result and this run is {args.protocol}: "
                        f"{elsewhere}")
    if previous["submission"].get("name") != submission.name:
        raise CWMBError(f"{output} holds the result of submission {previous['submission'].get('name')!r}, not "
                        f"{submission.name!r}: {elsewhere}")
    whole_folder = args.env is None and Path(args.path).is_dir()
    this_run = set(ENV_IDS) if whole_folder else set(submission.files)
    if set(previous["envs"]) != this_run:
        raise CWMBError(f"{output} holds {len(previous['envs'])} environments and this run evaluates {len(this_run)} "
                        f"(--env): {elsewhere}")
    return previous


def summary_table(result: dict[str, Any]) -> str:
    """A readable table: one line per environment, then the aggregates."""
    scored = result["protocol"].get("scored_split", "test")
    header = (f"{'environment':<27}{'status':<17}{'acc train':>10}{'acc test':>10}{'state err':>11}{'return':>11}"
              f"{'normalised':>12}")
    lines = [header, "-" * len(header)]
    for env_id, entry in result["envs"].items():
        acc = {s: entry["accuracy"].get(s, {}).get("accuracy") for s in ("train", "test")}
        planning = entry.get("planning") or {}
        status = entry["status"] if entry["status"] == "ok" else f"failed:{entry['failure']['category']}"
        norm = planning.get("normalised_return")
        graded = entry.get("graded") or {}
        state_error = (graded.get(scored) or next(iter(graded.values()), {})).get("state_error")
        lines.append(
            f"{env_id:<27}{status:<17}{_fmt(acc['train']):>10}{_fmt(acc['test']):>10}"
            f"{'-' if state_error is None else f'{state_error:.3g}':>11}"
            f"{_fmt(planning.get('mean_return'), 1):>11}{_fmt(norm) if norm is not None else ('N/A' if planning else '-'):>12}"
        )
    lines.append(f"state err: graded one-step error on the {scored} split (cwmb.metrics.graded): 1 - R² of the state "
                 "change, or the fraction of wrong next states for discrete states; 0 exact, ~1 no better than no change")
    aggregate = result["aggregate"]
    for name in ("accuracy", "normalised_return"):
        if aggregate.get(name):
            parts = [f"{g} {_fmt(v['mean'])}" + (f" [{_fmt(v['ci95'][0])}, {_fmt(v['ci95'][1])}]" if v.get("ci95") else "")
                     for g, v in aggregate[name].items()]
            lines.append(f"{name}: " + "; ".join(parts))
    isolation = (result.get("isolation") or {}).get("level")
    if isolation:
        lines.append(f"sandbox isolation: {isolation}")
    first = first_failure(result)
    if first:
        where, failure = first
        lines.append(f"first failure ({where}): {failure['category']}: {failure['message']}")
        lines += ["  " + line for line in failure.get("traceback", "").strip().splitlines()[-6:]]
    return "\n".join(lines)


def first_failure(result: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    """(where, failure) of the first thing that broke in the submission's code, if anything did:
    an env that failed (not one without a world model), else the first kept failure of a split."""
    for env_id, entry in result["envs"].items():
        failure = entry.get("failure")
        if failure and failure["category"] not in ("missing_world_model", "incomplete_reference"):
            return env_id, failure
    for env_id, entry in result["envs"].items():
        for split, scored in entry["accuracy"].items():
            for examples in (scored.get("failure_examples") or {}).values():
                if examples:
                    return f"{env_id} {split}", examples[0]
    return None


def _fmt(value: Any, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


if __name__ == "__main__":
    sys.exit(main())
