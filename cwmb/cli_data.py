"""`cwmb-data`: look at the packaged dataset and check it against the real simulators.

    cwmb-data info                 one line per environment: transitions and episodes per split
    cwmb-data verify [--env ID]    replay every stored transition through the real simulator
"""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from cwmb.dataset.load import SPLITS, read_split, split_file
from cwmb.dataset.verify import replay_split
from cwmb.errors import CWMBError
from cwmb.registry import ENV_IDS, get_env


def _info(env_ids: list[str]) -> int:
    print(f"{'environment':<28}{'planner':<9}" + "".join(f"{s + ' rows':>12}{s + ' eps':>11}" for s in SPLITS))
    for env_id in env_ids:
        cells = []
        for split in SPLITS:
            if not split_file(env_id, split).exists():
                cells.append(f"{'not built':>12}{'':>11}")
                continue
            table = read_split(env_id, split)
            cells.append(f"{table.num_rows:>12}{len(set(table.column('episode').to_pylist())):>11}")
        print(f"{env_id:<28}{get_env(env_id).planner:<9}" + "".join(cells))
    return 0


def _verify(env_ids: list[str]) -> int:
    failed = 0
    total = 0
    for env_id, split in tqdm([(e, s) for e in env_ids for s in SPLITS], desc="replaying", unit="split"):
        if not split_file(env_id, split).exists():
            tqdm.write(f"skipped {env_id}/{split}: not built yet")
            continue
        report = replay_split(env_id, split)
        total += report.transitions
        if not report.ok:
            failed += 1
            tqdm.write(f"MISMATCH {env_id}/{split}: " + "; ".join(report.mismatches[:3]))
    print(f"replayed {total} transitions of {len(env_ids)} environments: "
          + ("all match the real simulator" if not failed else f"{failed} splits differ"))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cwmb-data", description="Inspect and verify the packaged CWMB dataset.")
    parser.add_argument("command", choices=["info", "verify"])
    parser.add_argument("--env", action="append", help="environment id (repeatable; default: all 18)")
    args = parser.parse_args(argv)
    try:
        env_ids = [get_env(e).env_id for e in (args.env or ENV_IDS)]
        return _info(env_ids) if args.command == "info" else _verify(env_ids)
    except CWMBError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
