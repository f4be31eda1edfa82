"""``cwmb-solve``: synthesise code world models with an LLM and write a leaderboard-ready submission.

Examples (see ``cwmb/solvers/README.md`` for the paper's settings)::

    cwmb-solve --env Taxi-v4 --method gif-mcts --backend openai \\
        --model meta-llama/Meta-Llama-3-70B-Instruct --base-url http://localhost:8000/v1 \\
        --budget 50 --seed 0 --out submissions/gif-mcts-llama3-70b-seed0/
    cwmb-solve --all --method gif-mcts --backend replay --model gpt-4-turbo --budget 10 --seed 0 \\
        --transcript old/transcript.jsonl --out replayed/

Running the same command again resumes: calls already in ``OUT/transcript.jsonl`` are replayed,
environments whose tree is written are skipped. Only the train split is ever scored.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

from cwmb import __version__
from cwmb.errors import CWMBError
from cwmb.registry import ENV_IDS, get_env
from cwmb.solvers.checker import Scorer, default_scorer
from cwmb.solvers.common import Step
from cwmb.solvers.llm import BACKENDS, LLMBackend, SamplingParams, ServerUnreachable, make_backend
from cwmb.solvers.prompts import Task, load_description
from cwmb.solvers.run import METHODS, TRANSCRIPT, RunSettings, finished_tree, solve_env, write_submission_json


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cwmb-solve",
        description="Write code world models with an LLM (GIF-MCTS, WorldCoder or zero-shot) and save a submission folder.",
    )
    parser.add_argument("--version", action="version", version=f"cwmb {__version__}")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--env", action="append", metavar="ID", help="environment id (repeatable); the paper's ids work too")
    which.add_argument("--all", action="store_true", help="all 18 environments")
    parser.add_argument("--method", choices=METHODS, default="gif-mcts", help="search method (default: gif-mcts)")
    parser.add_argument("--backend", choices=tuple(BACKENDS), help="LLM backend")
    parser.add_argument("--model", help="model name (openai: as the server knows it; hf: Hub id or folder)")
    parser.add_argument("--base-url", help="OpenAI-compatible server URL ending in /v1 (default: $OPENAI_BASE_URL)")
    parser.add_argument(
        "--request-timeout", type=float, metavar="SECONDS",
        help="openai: seconds to wait for one answer before retrying (default: 600 for api.openai.com, "
        "3600 for a --base-url server: a timed-out request keeps running there, so a retry only queues behind it)",
    )
    parser.add_argument("--budget", type=int, default=50, help="LLM calls per environment (default: 50)")
    parser.add_argument("--seed", type=int, default=0, help="solver and sampling seed (default: 0)")
    parser.add_argument("--out", required=True, type=Path, help="submission folder (created; resumed if it exists)")
    parser.add_argument("--name", help="submission name (default: the folder name)")
    parser.add_argument("--url", help="link recorded in submission.json")
    parser.add_argument(
        "--model-info", type=Path, metavar="FILE",
        help="JSON object recorded as submission.json's model_info (weights sha256, quantisation, server)",
    )
    defaults = SamplingParams()
    parser.add_argument("--temperature", type=float, default=defaults.temperature, help="sampling temperature (default: 1.0)")
    parser.add_argument("--top-p", type=float, default=defaults.top_p, help="nucleus sampling mass (default: 1.0)")
    parser.add_argument("--max-tokens", type=int, default=defaults.max_tokens, help="longest completion (default: 4096)")
    parser.add_argument("--transcript", type=Path, help=f"replay: transcript to answer from (default: OUT/{TRANSCRIPT})")
    parser.add_argument("--script", type=Path, help="scripted: JSON list of canned answers (smoke tests)")
    parser.add_argument(
        "--descriptions", type=Path, help="Parquet or JSONL file with env_id, description (default: the packaged config)"
    )
    parser.add_argument("--eval", action="store_true", help="run cwmb-eval on the submission folder afterwards")
    parser.add_argument("--eval-args", default="", metavar="ARGS", help='cwmb-eval options, e.g. "--jobs 2"')
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def backend_from_args(args: argparse.Namespace) -> LLMBackend:
    """The backend the arguments ask for (raises `BackendNotConfigured` with the fix when incomplete)."""
    if args.backend == "openai":
        if args.request_timeout is None:
            return make_backend("openai", args.model, args.base_url)
        if not args.request_timeout > 0:
            raise CWMBError(f"--request-timeout must be a positive number of seconds, got {args.request_timeout:g}")
        return make_backend("openai", args.model, args.base_url, timeout=args.request_timeout)
    if args.backend == "hf":
        if not args.model:
            raise CWMBError("the hf backend needs --model (a Hub id or a local folder)")
        return make_backend("hf", args.model)
    if args.backend == "replay":
        return make_backend("replay", args.transcript or args.out / TRANSCRIPT, model=args.model)
    if args.backend == "scripted":
        if args.script is None:
            raise CWMBError("the scripted backend needs --script FILE (a JSON list of answers)")
        answers = json.loads(args.script.read_text(encoding="utf-8"))
        return make_backend("scripted", answers, model=args.model or "scripted")
    return make_backend(args.backend)  # None: a clear "no backend configured" error


def read_model_info(path: Path | None) -> dict | None:
    """The ``--model-info`` file's JSON object (None without the option)."""
    if path is None:
        return None
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CWMBError(f"cannot read --model-info {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise CWMBError(f"--model-info {path} is not valid JSON ({error}); it must hold one JSON object") from None
    if not isinstance(info, dict):
        raise CWMBError(f"--model-info {path} must hold a JSON object ({{\"weights_sha256\": ...}}), not {type(info).__name__}")
    return info


def progress_printer(budget: int):
    """Progress lines; each shows the wall time since the previous line (LLM call plus scoring), so a
    slow local model shows how long a call takes."""

    def show(step: Step) -> None:
        now = time.monotonic()
        print(
            f"[{show.env_id}] call {step.call}/{budget} {step.action:<8} acc {step.accuracy:.3f}"
            f"{' (raised)' if step.raised else ''} | best {step.best_accuracy:.3f} | {step.tokens:,} tokens"
            f" | {now - show.since:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        show.since = now

    def start(env_id: str) -> None:
        show.env_id, show.since = env_id, time.monotonic()

    show.env_id, show.since, show.start = "", time.monotonic(), start
    return show


def run_eval(out: Path, extra: str = "") -> int:
    """Run ``cwmb-eval OUT [EXTRA]`` in a fresh process and return its exit code.

    ``cwmb-eval`` scores the held-out test split too; its result never goes back into a search.
    """
    command = [sys.executable, "-m", "cwmb.cli", str(out), *shlex.split(extra)]
    print(f"cwmb-solve: running cwmb-eval {out} {extra}".rstrip(), file=sys.stderr)
    return subprocess.run(command, check=False).returncode


def main(argv: list[str] | None = None, *, scorer: Scorer | None = None) -> int:
    """Entry point of ``cwmb-solve``; `scorer` replaces the harness's checker (tests)."""
    args = build_parser().parse_args(argv)
    try:
        env_ids = list(ENV_IDS) if args.all else [get_env(e).env_id for e in args.env]
        if args.budget < 1:
            raise CWMBError(f"--budget must be at least 1 LLM call, got {args.budget}")
        scorer = scorer if scorer is not None else default_scorer()  # fail before any LLM call
        backend = backend_from_args(args)
        settings = RunSettings(
            name=args.name or args.out.resolve().name,
            method=args.method,
            budget=args.budget,
            seed=args.seed,
            params=SamplingParams(args.temperature, args.top_p, args.max_tokens, args.seed),
            url=args.url,
            model_info=read_model_info(args.model_info),
        )
        tasks = [Task(env_id, load_description(env_id, args.descriptions)) for env_id in env_ids]
    except CWMBError as error:
        print(f"cwmb-solve: {error}", file=sys.stderr)
        return 2

    show = progress_printer(settings.effective_budget)
    trees, failed = {}, []
    for task in tasks:
        done = finished_tree(args.out, task.env_id, settings, backend.model)
        if done is not None:
            trees[task.env_id] = done
            if not args.quiet:
                accuracy = done["best_accuracy"]
                print(f"[{task.env_id}] already solved in {args.out} (train accuracy {accuracy:.3f})", file=sys.stderr)
            continue
        show.start(task.env_id)
        try:
            result = solve_env(args.out, task, backend, scorer, settings, progress=None if args.quiet else show)
        except ServerUnreachable as error:
            # No later environment can reach the server either: stop instead of failing each in turn.
            print(f"cwmb-solve: {task.env_id}: {error}", file=sys.stderr)
            failed.extend(t.env_id for t in tasks[tasks.index(task):])
            break
        except CWMBError as error:
            print(f"cwmb-solve: {task.env_id}: {error}", file=sys.stderr)
            failed.append(task.env_id)
            continue
        trees[task.env_id] = result.tree
        write_submission_json(args.out, settings, backend.model, trees)
        if not args.quiet:
            print(
                f"[{task.env_id}] best train accuracy {result.accuracy:.3f} after {result.calls} calls, "
                f"{result.tokens:,} tokens -> {args.out / (task.env_id + '.py')}",
                file=sys.stderr,
            )
    if trees:
        write_submission_json(args.out, settings, backend.model, trees)
    if failed:
        print(f"cwmb-solve: failed on {', '.join(failed)}; run the same command again to resume", file=sys.stderr)
        return 1
    if args.eval:
        return run_eval(args.out, args.eval_args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
