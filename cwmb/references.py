"""Reference returns: the random policy and the oracle planner, per environment and protocol.

Normalised return needs both: R = (R_cwm - R_random) / (R_oracle - R_random). They are computed once
by `python -m cwmb.references [--protocol P] [--env ID ...] [--episodes N] [--jobs N] [--recompute]`,
stored in `cwmb/references/<protocol>.json` (shipped with the package, like Minari's ref_min/ref_max
scores) and reused by every evaluation. Episodes are units of work (`cwmb.backends`); each is saved
with an atomic write as soon as the episodes before it are, so the command resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from cwmb._atomic import update_json_atomically
from cwmb.backends import BACKENDS, run_units
from cwmb.episodes import oracle_model, play_episode
from cwmb.errors import CWMBError
from cwmb.protocols import DEFAULT_PROTOCOL, PROTOCOLS, Protocol, get_protocol
from cwmb.registry import ENV_IDS, get_env

REFERENCES_DIR = Path(__file__).resolve().parent / "references"
POLICIES = ("random", "oracle")
#: Failure category of a reference row's env with fewer episodes than the protocol plays: not yet
#: measured, so the leaderboard gives its group no mean (`leaderboard.aggregate`).
INCOMPLETE_REFERENCE = "incomplete_reference"


class MissingReference(CWMBError):
    """No stored reference return for an (env, protocol); the message gives the command to compute it."""


def references_path(protocol: str) -> Path:
    return REFERENCES_DIR / f"{protocol}.json"


def load_references(protocol: str) -> dict[str, Any]:
    path = references_path(protocol)
    return json.loads(path.read_text()) if path.exists() else {}


def reference_returns(protocol: str, env_id: str) -> tuple[float, float]:
    """(mean random return, mean oracle return) of `env_id` under `protocol`."""
    random_returns, oracle_returns = reference_episode_returns(protocol, env_id)
    return float(np.mean(random_returns)), float(np.mean(oracle_returns))


def reference_episode_returns(protocol: str, env_id: str) -> tuple[list[float], list[float]]:
    """(random policy's, oracle planner's) per-episode returns of `env_id` under `protocol`: their
    spread decides whether the normalised return is defined (`cwmb.metrics.reference_advantage`)."""
    entry = load_references(protocol).get(get_env(env_id).env_id, {})
    command = f"`python -m cwmb.references --protocol {protocol} --env {env_id}`"
    try:
        random_returns, oracle = entry["random"]["returns"], entry["oracle"]
        oracle_returns = oracle["returns"]
    except KeyError:
        raise MissingReference(f"no {protocol} reference returns for {env_id}: run {command}") from None
    if not oracle_returns or not random_returns:
        raise MissingReference(f"no {protocol} reference returns for {env_id}: run {command}")
    if is_stale(get_protocol(protocol), "oracle", oracle):
        raise MissingReference(f"the {protocol} oracle reference of {env_id} was computed with older planners "
                               f"(revision {oracle.get('planner_revision', 1)}): run {command}")
    return list(random_returns), list(oracle_returns)


def is_stale(protocol: Protocol, policy: str, entry: dict[str, Any]) -> bool:
    """True for oracle returns computed under another planner revision (random ones never plan)."""
    return policy == "oracle" and entry.get("planner_revision", 1) != protocol.planner_revision


def reference_episode(env_id: str, policy: str, protocol_name: str, episode: int) -> dict[str, Any]:
    """One reference episode (the unit of work): its return, seed and wall seconds."""
    protocol, record = get_protocol(protocol_name), get_env(env_id)
    start = time.perf_counter()
    model = None if policy == "random" else oracle_model(record, protocol.seed_base + episode)
    result = play_episode(record, protocol, episode, model)
    return {"return": result.episode_return, "seed": result.seed, "seconds": round(time.perf_counter() - start, 2)}


def compute(protocol: Protocol, env_ids: list[str], n_episodes: int | None = None, *, recompute: bool = False,
            policies: tuple[str, ...] = POLICIES, jobs: int = 1, backend: str = "local") -> dict[str, Any]:
    """Fill in missing (env, policy, episode) returns, `jobs` episodes at a time on `backend`.

    `n_episodes` defaults to the protocol's count for each env; `recompute` discards the stored
    returns of these envs and policies first (the others are kept). An (env, policy) keeps its
    returns in episode order and each episode is stored (under a file lock, so runs for other envs
    may go on at the same time) once the episodes before it are, so a stopped run resumes there.
    """
    path = references_path(protocol.name)

    def discard(references: dict[str, Any]) -> dict[str, Any]:
        for env_id in env_ids:
            for policy in policies:
                entry = references.get(env_id, {}).get(policy)
                if entry is not None and (recompute or is_stale(protocol, policy, entry)):
                    del references[env_id][policy]
        return references

    # Returns of older planners can never be used again: they go even without --recompute.
    update_json_atomically(path, discard, sort_keys=True)
    references = load_references(protocol.name)
    stored = {(e, p): len(references.get(e, {}).get(p, {}).get("returns", [])) for e in env_ids for p in policies}
    units = {(e, p, i): {"env_id": e, "policy": p, "protocol_name": protocol.name, "episode": i}
             for e in env_ids for p in policies for i in range(n_episodes or protocol.episodes_for(e))
             if i >= stored[e, p]}
    finished: dict[tuple[str, str, int], dict[str, Any]] = {}
    progress = tqdm(total=len(units), desc=f"references {protocol.name}", unit="ep")
    for (env_id, policy, episode), result in run_units(reference_episode, units, backend=backend, jobs=jobs):
        progress.update()
        finished[env_id, policy, episode] = result
        while (env_id, policy, stored[env_id, policy]) in finished:
            done = finished.pop((env_id, policy, stored[env_id, policy]))
            references = update_json_atomically(
                path, partial(_append, env_id, policy, stored[env_id, policy], done, protocol.planner_revision),
                sort_keys=True)
            stored[env_id, policy] += 1
    progress.close()
    return references


def _append(env_id: str, policy: str, episode: int, done: dict[str, Any], planner_revision: int,
            references: dict[str, Any]) -> dict[str, Any]:
    entry = references.setdefault(env_id, {}).setdefault(policy, {"returns": [], "seeds": [], "seconds": []})
    if policy == "oracle":
        entry["planner_revision"] = planner_revision
    if len(entry["returns"]) == episode:  # else another run stored this episode already
        entry["returns"].append(done["return"])
        entry["seeds"].append(done["seed"])
        entry["seconds"].append(done["seconds"])
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
        cells, computed = [], []
        for policy in POLICIES:
            stored = ours.get(env_id, {}).get(policy, {})
            returns = [] if is_stale(get_protocol("paper-2024"), policy, stored) else stored.get("returns", [])
            computed.append(returns)
            if returns:
                sem = np.std(returns, ddof=1) / np.sqrt(len(returns)) if len(returns) > 1 else float("nan")
                cells.append(f"{np.mean(returns):.1f} ± {sem:.1f}" if len(returns) > 1 else f"{returns[0]:.1f} (1 ep.)")
            else:
                cells.append("not computed")
        counts = "/".join(str(len(episodes)) for episodes in computed)
        rows.append(f"| {env_id} ({paper_id}) | {paper['random']} | {cells[0]} | {paper['oracle planner']} | {cells[1]} | {counts} |")
    return "\n".join(rows)


def reference_result(protocol: Protocol, policy: str) -> dict[str, Any]:
    """The random policy or the oracle planner as a result file (a leaderboard row of its own).

    Accuracy does not apply to a policy (null). An env with fewer stored episodes than the protocol
    plays is listed as failed with category `incomplete_reference`, saying how many were computed.
    """
    from datetime import datetime, timezone

    import cwmb
    from cwmb.dataset.load import dataset_revision
    from cwmb.evaluate import aggregate_result, library_versions, normalise_planning
    from cwmb.results import RESULT_SCHEMA_VERSION

    references = load_references(protocol.name)
    envs: dict[str, Any] = {}
    for env_id in ENV_IDS:
        entry = references.get(env_id, {})
        stored = entry.get(policy, {})
        returns = [] if is_stale(protocol, policy, stored) else stored.get("returns", [])
        accuracy = {protocol.scored_split: {"accuracy": None}}
        if len(returns) < protocol.episodes_for(env_id):
            failure = {"category": INCOMPLETE_REFERENCE, "traceback": "",
                       "message": f"{len(returns)} of {protocol.episodes_for(env_id)} episodes computed"}
            envs[env_id] = {"status": "failed", "failure": failure, "accuracy": accuracy, "planning": None, "seconds": {}}
            continue
        # Normalised by the same rule as every submission (N/A where the oracle is not measurably better).
        planning = normalise_planning({"episode_returns": returns, "episode_seeds": entry[policy]["seeds"],
                                       "mean_return": float(np.mean(returns)), "failed_plans": 0}, protocol.name, env_id)
        envs[env_id] = {"status": "ok", "failure": None, "accuracy": accuracy, "planning": planning,
                        "seconds": {"planning": float(sum(entry[policy]["seconds"]))}}
    name = "random policy" if policy == "random" else "oracle planner"
    return {
        "schema_version": RESULT_SCHEMA_VERSION, "kind": "evaluated", "harness_version": cwmb.__version__,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "submission": {"name": name, "method": policy, "model": None, "llm_calls": None, "seed": protocol.seed_base,
                       "url": None, "sha256": None, "files": {}},
        "protocol": protocol.to_dict(),
        # Reference returns come from the simulators alone: no environment's data was used.
        "dataset": {"revision": dataset_revision(), "env_revisions": {}, "source": "packaged", "paper_data": None},
        "libraries": library_versions(),
        "envs": envs,
        "aggregate": aggregate_result(envs, protocol.name),
        "source": None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compute random and oracle reference returns.")
    parser.add_argument("--protocol", default=DEFAULT_PROTOCOL, choices=list(PROTOCOLS))
    parser.add_argument("--env", action="append", help="environment id (repeatable; default: all 18)")
    parser.add_argument("--episodes", type=int, help="episodes per policy (default: the protocol's)")
    parser.add_argument("--recompute", action="store_true", help="discard stored returns and start again")
    parser.add_argument("--jobs", type=int, default=1, help="episodes computed in parallel")
    parser.add_argument("--backend", default="local", choices=list(BACKENDS), help="local processes or Ray")
    parser.add_argument("--policy", choices=POLICIES, help="compute one policy only (default: both)")
    parser.add_argument("--compare-paper", type=Path, metavar="PAPER_RESULTS_JSON",
                        help="print our paper-2024 references beside the paper's Table 12 and exit")
    parser.add_argument("--write-results", type=Path, metavar="DIR",
                        help="write the random and oracle references of --protocol as result files into DIR and exit")
    args = parser.parse_args(argv)
    protocol = get_protocol(args.protocol)
    if args.compare_paper:
        print(paper_comparison_table(args.compare_paper))
        return 0
    if args.write_results:
        from cwmb.results import write_result

        for policy in POLICIES:
            path = args.write_results / f"{protocol.name}__reference__{policy}.json"
            print(write_result(reference_result(protocol, policy), path))
        return 0
    env_ids = [get_env(e).env_id for e in (args.env or ENV_IDS)]
    policies = (args.policy,) if args.policy else POLICIES
    references = compute(protocol, env_ids, args.episodes, recompute=args.recompute, policies=policies,
                         jobs=args.jobs, backend=args.backend)
    for env_id in env_ids:
        means = {p: np.mean(references[env_id][p]["returns"]) for p in POLICIES if references[env_id].get(p, {}).get("returns")}
        verdict = "" if len(means) < 2 else ("OK" if means["oracle"] > means["random"] else "ORACLE NOT BETTER")
        print(f"{env_id:<28} " + "   ".join(f"{p} {m:10.2f}" for p, m in means.items()) + f"   {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
