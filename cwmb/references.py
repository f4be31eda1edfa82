"""Reference returns: the random policy and the oracle planner, per environment and protocol.

Normalised return needs both: R = (R_cwm - R_random) / (R_oracle - R_random). They are computed once
by `python -m cwmb.references [--protocol P] [--env ID ...] [--episodes N] [--recompute]`, stored in
`cwmb/references/<protocol>.json` (shipped with the package, like Minari's ref_min/ref_max scores)
and reused by every evaluation. Each (env, policy, episode) is saved as soon as it finishes, with
atomic writes, so the command resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from cwmb.episodes import oracle_model, play_episode
from cwmb.errors import CWMBError
from cwmb.protocols import DEFAULT_PROTOCOL, PROTOCOLS, Protocol, get_protocol
from cwmb.registry import ENV_IDS, get_env

REFERENCES_DIR = Path(__file__).resolve().parent / "references"
POLICIES = ("random", "oracle")


class MissingReference(CWMBError):
    """No stored reference return for an (env, protocol); the message gives the command to compute it."""


def references_path(protocol: str) -> Path:
    return REFERENCES_DIR / f"{protocol}.json"


def load_references(protocol: str) -> dict[str, Any]:
    path = references_path(protocol)
    return json.loads(path.read_text()) if path.exists() else {}


def _save(protocol: str, references: dict[str, Any]) -> None:
    path = references_path(protocol)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(references, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def reference_returns(protocol: str, env_id: str) -> tuple[float, float]:
    """(mean random return, mean oracle return) of `env_id` under `protocol`."""
    entry = load_references(protocol).get(get_env(env_id).env_id, {})
    try:
        return float(np.mean(entry["random"]["returns"])), float(np.mean(entry["oracle"]["returns"]))
    except KeyError:
        raise MissingReference(
            f"no {protocol} reference returns for {env_id}: run `python -m cwmb.references --protocol {protocol} --env {env_id}`"
        ) from None


def compute(protocol: Protocol, env_ids: list[str], n_episodes: int, *, recompute: bool = False) -> dict[str, Any]:
    """Fill in missing (env, policy, episode) returns; saves after every episode."""
    references = {} if recompute else load_references(protocol.name)
    work = [(e, p, i) for e in env_ids for p in POLICIES for i in range(n_episodes)]
    for env_id, policy, episode in tqdm(work, desc=f"references {protocol.name}", unit="ep"):
        entry = references.setdefault(env_id, {}).setdefault(policy, {"returns": [], "seeds": [], "seconds": []})
        if episode < len(entry["returns"]):
            continue
        record = get_env(env_id)
        start = time.perf_counter()
        model = None if policy == "random" else oracle_model(record, protocol.seed_base + episode)
        result = play_episode(record, protocol, episode, model)
        entry["returns"].append(result.episode_return)
        entry["seeds"].append(result.seed)
        entry["seconds"].append(round(time.perf_counter() - start, 2))
        _save(protocol.name, references)
    return references


def paper_comparison_table(paper_results: Path) -> str:
    """Markdown: our paper-2024 random/oracle returns beside the paper's Table 12 (`raw_returns_table12`).

    Each of ours is a mean over the episodes computed, with its standard error; envs not computed
    are marked so.
    """
    table12 = json.loads(Path(paper_results).read_text())["raw_returns_table12"]
    columns = table12["columns"]
    ours = load_references("paper-2024")
    rows = [
        "| env (paper id) | random: paper | random: ours | oracle: paper | oracle: ours | episodes (ours) |",
        "|---|---|---|---|---|---|",
    ]
    for paper_id, values in table12["envs"].items():
        env_id = get_env(paper_id).env_id
        paper = dict(zip(columns, values))
        cells = []
        for policy in POLICIES:
            returns = ours.get(env_id, {}).get(policy, {}).get("returns", [])
            if returns:
                sem = np.std(returns, ddof=1) / np.sqrt(len(returns)) if len(returns) > 1 else float("nan")
                cells.append(f"{np.mean(returns):.1f} ± {sem:.1f}" if len(returns) > 1 else f"{returns[0]:.1f} (1 ep.)")
            else:
                cells.append("not computed")
        counts = "/".join(str(len(ours.get(env_id, {}).get(p, {}).get("returns", []))) for p in POLICIES)
        rows.append(f"| {env_id} ({paper_id}) | {paper['random']} | {cells[0]} | {paper['oracle planner']} | {cells[1]} | {counts} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compute random and oracle reference returns.")
    parser.add_argument("--protocol", default=DEFAULT_PROTOCOL, choices=list(PROTOCOLS))
    parser.add_argument("--env", action="append", help="environment id (repeatable; default: all 18)")
    parser.add_argument("--episodes", type=int, help="episodes per policy (default: the protocol's)")
    parser.add_argument("--recompute", action="store_true", help="discard stored returns and start again")
    parser.add_argument("--compare-paper", type=Path, metavar="PAPER_RESULTS_JSON",
                        help="print our paper-2024 references beside the paper's Table 12 and exit")
    args = parser.parse_args(argv)
    if args.compare_paper:
        print(paper_comparison_table(args.compare_paper))
        return 0
    protocol = get_protocol(args.protocol)
    env_ids = [get_env(e).env_id for e in (args.env or ENV_IDS)]
    references = compute(protocol, env_ids, args.episodes or protocol.n_episodes, recompute=args.recompute)
    for env_id in env_ids:
        r, o = (np.mean(references[env_id][p]["returns"]) for p in POLICIES)
        print(f"{env_id:<28} random {r:10.2f}   oracle {o:10.2f}   {'OK' if o > r else 'ORACLE NOT BETTER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
