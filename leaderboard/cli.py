"""`cwmb-leaderboard`: add a result file to the store, check the store, build the leaderboard.

    cwmb-leaderboard add RESULT.json        validate, then copy into leaderboard/results/
    cwmb-leaderboard check                  re-validate every stored result
    cwmb-leaderboard build                  write leaderboard/README.md, site/index.html, site/plots/
    cwmb-leaderboard renormalise            bring stored runs up to date with the shipped reference returns
    cwmb-leaderboard import-paper PATH      regenerate the paper's reported rows from paper_results.json

A refusal prints one line (`rejected: <file>: <why>`) on stderr, exits with status 1 and changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cwmb import __version__
from cwmb.errors import CWMBError
from leaderboard.store import LEADERBOARD_DIR, RESULTS_DIR, Rejected, Store


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    store = Store(args.results, dataset_revision=_revision(args.data), data_folder=args.data)
    try:
        return args.run(args, store)
    except Rejected as error:
        print(f"rejected: {error}", file=sys.stderr)
    except (CWMBError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
    return 1


def _add(args: argparse.Namespace, store: Store) -> int:
    path = store.add(args.result)
    result = store.read(path)
    print(f"added {path} ({result['kind']} {result['submission']['name']!r} under {result['protocol']['name']}); "
          "run `cwmb-leaderboard build` to update the leaderboard")
    return 0


def _check(args: argparse.Namespace, store: Store) -> int:
    stored = store.load()
    print(f"{len(stored)} result files in {store.folder} pass every check")
    return 0


def _build(args: argparse.Namespace, store: Store) -> int:
    from leaderboard.build import build

    summary = build(store, args.out)
    print(f"built the leaderboard of {summary.runs} runs ({summary.reproduced} reproduced, {summary.reported} "
          f"reported) into {args.out}: " + ", ".join(str(p.relative_to(args.out)) for p in summary.files))
    return 0


def _renormalise(args: argparse.Namespace, store: Store) -> int:
    from cwmb.evaluate import renormalise
    from cwmb.protocols import get_protocol
    from cwmb.references import POLICIES, reference_result

    updated = []
    for path in store.paths():
        result = json.loads(path.read_text(encoding="utf-8"))
        if result.get("kind") != "evaluated":
            continue
        method = result["submission"].get("method")
        if result["submission"].get("sha256") is None and method in POLICIES:  # a reference row: regenerate it
            fresh = reference_result(get_protocol(result["protocol"]["name"]), method)
        else:
            fresh = renormalise(json.loads(json.dumps(result)))
        if (fresh["envs"], fresh["aggregate"]) != (result["envs"], result["aggregate"]):
            store.add_result(fresh, where=path.name, replace=True)
            updated.append(path.name)
    print(f"{len(updated)} stored runs renormalised" + (": " + ", ".join(updated) if updated else ""))
    return 0


def _import_paper(args: argparse.Namespace, store: Store) -> int:
    from leaderboard.reported import write_reported

    paths = write_reported(args.paper_json, store)
    print(f"wrote {len(paths)} reported result files into {store.folder}")
    return 0


def _revision(data: Path | None):
    if data is None:
        return None  # the shipped data's, computed when first needed
    from cwmb.dataset.load import dataset_revision

    return lambda: dataset_revision(data)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cwmb-leaderboard", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--results", type=Path, default=RESULTS_DIR, metavar="DIR",
                        help="the results store (default: %(default)s)")
    common.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help="dataset folder whose revision evaluated results must match (default: the shipped data)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add = commands.add_parser("add", parents=[common], help="validate a result file and add it to the store")
    add.add_argument("result", type=Path, help="a result JSON written by cwmb-eval")
    add.set_defaults(run=_add)

    check = commands.add_parser("check", parents=[common], help="re-validate every stored result file")
    check.set_defaults(run=_check)

    build = commands.add_parser("build", parents=[common], help="write the markdown table, static page and plots")
    build.add_argument("--out", type=Path, default=LEADERBOARD_DIR, metavar="DIR",
                       help="where README.md and site/ go (default: %(default)s)")
    build.set_defaults(run=_build)

    renormalise = commands.add_parser("renormalise", parents=[common],
                                      help="recompute stored runs' normalised returns from the shipped references")
    renormalise.set_defaults(run=_renormalise)

    paper = commands.add_parser("import-paper", parents=[common],
                                help="regenerate the paper's reported rows from a paper_results.json")
    paper.add_argument("paper_json", type=Path)
    paper.set_defaults(run=_import_paper)
    return parser


if __name__ == "__main__":
    sys.exit(main())
