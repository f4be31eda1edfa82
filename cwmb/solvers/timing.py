"""How long the LLM calls of a run took, from its ``transcript.jsonl``: ``python -m cwmb.solvers.timing OUT``.

Every live call is recorded with its wall time (``latency_s``: request sent to answer received, so
prompt processing and generation together) and the token counts the server reported. This prints,
per environment and for the whole transcript, the calls, the tokens and the rates:

- **s/call**: mean wall time of one call;
- **new tok/s**: completion tokens per second of wall time (what a user waits for: prompt
  processing included, so it is below the server's pure generation rate).

Calls answered from the cache are never recorded twice, so a resumed run counts each call once.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from cwmb.solvers.llm.transcript import read_transcript
from cwmb.solvers.run import TRANSCRIPT


@dataclass
class CallTimes:
    """Totals of a group of recorded calls."""

    calls: int = 0
    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, record: dict) -> None:
        self.calls += 1
        self.seconds += float(record.get("latency_s") or 0.0)
        self.prompt_tokens += int(record.get("prompt_tokens") or 0)
        self.completion_tokens += int(record.get("completion_tokens") or 0)

    @property
    def seconds_per_call(self) -> float:
        return self.seconds / self.calls if self.calls else 0.0

    @property
    def completion_tokens_per_second(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds else 0.0


def call_times(transcript: str | Path) -> dict[str, CallTimes]:
    """Per ``env_id`` (``""`` when a record has none) and ``"all"``: the totals of the recorded calls."""
    groups: dict[str, CallTimes] = defaultdict(CallTimes)
    for record in read_transcript(transcript):
        groups[str(record.get("env_id") or "")].add(record)
        groups["all"].add(record)
    return dict(groups)


def format_table(groups: dict[str, CallTimes]) -> str:
    header = "| env | calls | wall time (s) | s/call | prompt tokens | new tokens | new tok/s |"
    lines = [header, "|---|---|---|---|---|---|---|"]
    for name in sorted(groups, key=lambda n: (n == "all", n)):
        g = groups[name]
        lines.append(
            f"| {name or '(none)'} | {g.calls} | {g.seconds:.0f} | {g.seconds_per_call:.1f} | {g.prompt_tokens:,} | "
            f"{g.completion_tokens:,} | {g.completion_tokens_per_second:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cwmb.solvers.timing", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help=f"submission folders (their {TRANSCRIPT}) or transcript files")
    args = parser.parse_args(argv)
    for path in args.paths:
        transcript = path / TRANSCRIPT if path.is_dir() else path
        if not transcript.is_file():
            print(f"timing: no transcript at {transcript}: pass a cwmb-solve output folder or its {TRANSCRIPT}", file=sys.stderr)
            return 2
        print(f"{transcript}\n\n{format_table(call_times(transcript))}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
