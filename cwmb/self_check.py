"""`cwmb-eval --self-check`: the first thing to run on a new machine.

Fails loudly (exit status 1, one line per problem) when the installed simulator, the packaged data
or the harness disagree:

1. the installed gymnasium and mujoco are the versions the data was built with;
2. every stored test transition replays exactly through the real simulator (an environment whose
   collection has not finished is listed as skipped; a corrupt split fails);
3. the hand-written exact world models in `submissions/exact/` score accuracy 1.0 on both splits
   in the sandbox (Blackjack, which is stochastic, scores at least `BLACKJACK_MIN_ACCURACY`), and
   the static baseline scores less;
4. CEM planning with the exact Pendulum model reaches the oracle's return (normalised >= 0.9).
"""

from __future__ import annotations

from pathlib import Path

from cwmb.dataset.load import is_built
from cwmb.dataset.verify import replay_split
from cwmb.errors import DatasetError
from cwmb.registry import ENV_IDS

SUBMISSIONS = Path(__file__).resolve().parent.parent / "submissions"
#: Blackjack's next card is random, so even an exact model cannot predict every next state.
BLACKJACK_MIN_ACCURACY = 0.7


def run_self_check() -> int:
    from cwmb.evaluate import evaluate, simulator_version_warning

    problems: list[str] = []

    def check(ok: bool, message: str) -> None:
        print(("ok      " if ok else "FAILED  ") + message)
        if not ok:
            problems.append(message)

    warning = simulator_version_warning()
    check(warning is None, "installed simulators match the dataset's pinned versions" + (f": {warning}" if warning else ""))

    # Not in this release: an env whose collection has not finished (a split assembled alone counts too).
    not_built = [e for e in ENV_IDS if not is_built(e)]
    for env_id in ENV_IDS:
        if env_id in not_built:
            print(f"SKIPPED {env_id}: no data in this release yet (DATASET_CARD.md lists what is built)")
            continue
        try:
            report = replay_split(env_id, "test")
        except DatasetError as error:  # one split present, the other missing or corrupt
            check(False, f"{env_id}: {error}")
            continue
        check(report.ok, f"{env_id}: {report.transitions} test transitions replay exactly"
              + ("" if report.ok else f" ({report.mismatches[0]})"))

    exact = SUBMISSIONS / "exact"
    if not exact.is_dir():
        check(False, f"reference submissions not found at {exact}: run the self-check from a source checkout")
        return 1
    result = evaluate(exact, skip_planning=True)
    for env_id, entry in result["envs"].items():
        if entry["failure"] and entry["failure"]["category"] == "missing_world_model":
            continue
        needed = BLACKJACK_MIN_ACCURACY if env_id == "Blackjack-v1" else 1.0
        for split, scored in entry["accuracy"].items():
            check(entry["status"] == "ok" and scored["accuracy"] >= needed,
                  f"exact {env_id} {split} accuracy {scored['accuracy']:.4f} (needs >= {needed})")
    baseline = evaluate(SUBMISSIONS / "baseline-static", env_ids=["CartPole-v1"], skip_planning=True)
    score = baseline["envs"]["CartPole-v1"]["accuracy"]["test"]["accuracy"]
    check(score < 1.0, f"static baseline CartPole test accuracy {score:.3f} is below 1")

    # CEM on Pendulum, on the reference episodes' seeds: the exact model must plan like the oracle.
    planning = evaluate(exact, env_ids=["Pendulum-v1"])["envs"]["Pendulum-v1"]["planning"]
    normalised = planning["normalised_return"]
    check(normalised is not None and normalised >= 0.9,
          f"exact Pendulum planning: normalised return {normalised} (needs >= 0.9)")
    skipped = f" ({len(not_built)} environments not built yet: {', '.join(not_built)})" if not_built else ""
    print(("self-check passed" if not problems else f"self-check FAILED: {len(problems)} problem(s)") + skipped)
    return 0 if not problems else 1
