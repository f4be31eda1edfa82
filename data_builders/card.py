"""Write the dataset card (`cwmb/README.md`, Hub format) from the registry and the built files.

`python -m data_builders.card` regenerates it: the YAML header (licence, Hub task categories, tags,
size category, `configs:` for the 18 environments and `descriptions`, the default config so that
`datasets.load_dataset("cwmb")` works), then the card's sections, with statistics computed from the
Parquet files that exist and the build times measured by `data_builders.build`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from cwmb._atomic import write_text_atomically
from cwmb.dataset.load import is_built
from cwmb.registry import CONTINUOUS_EPISODE_CAP, ENVIRONMENTS, GYMNASIUM_VERSION, MUJOCO_VERSION
from data_builders.build import BUILD_TIMES, DEFAULT_CHECKPOINTS, DEFAULT_OUTPUT, split_path
from data_builders.collect import CEM_ITERATION_BUDGETS, COLLECTION_ACTION_REPEATS, COLLECTION_CEM, COLLECTION_MCTS, SPLITS

PAPER_URL = "https://arxiv.org/abs/2405.15383"
PAPER_CODE_URL = "https://github.com/nicoladainese96/code-world-models"
#: The config `datasets.load_dataset("cwmb")` loads when none is named: one row per environment, the
#: natural first look (the transition configs differ in their column types, so they cannot be merged).
DEFAULT_CONFIG = "descriptions"
#: Hub task categories and tags (https://huggingface.co/docs/hub/datasets-cards).
TASK_CATEGORIES = ("reinforcement-learning", "text-generation")
TAGS = ("code-world-models", "world-models", "model-based-rl", "code-generation", "gymnasium", "mujoco",
        "planning", "llm")
#: The Hub's size buckets, by number of rows (transitions of both splits of every environment).
_SIZE_BUCKETS = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                 (10_000_000, "1M<n<10M"))

_HEADER = f"""\
CWMB is the benchmark for **Code World Models**: Python programs, usually written by an LLM, that
simulate a reinforcement-learning environment so that a planner can use them. Each of the 18
Gymnasium environments has a text description (`descriptions` config) and 10 + 10 trajectories
(`train`, which a synthesis method may see; `test`, held out, which the leaderboard scores).
The benchmark follows Dainese et al., *Generating Code World Models with Large Language Models
Guided by Monte Carlo Tree Search* (NeurIPS 2024); this is a new collection on maintained simulator
versions, not the paper's files (see "Differences from the paper's release").

## Links

- Paper: Dainese, Merler, Alakuijala and Marttinen, *Generating Code World Models with Large Language
  Models Guided by Monte Carlo Tree Search*, NeurIPS 2024, [arXiv:2405.15383]({PAPER_URL}); the
  authors' code: <{PAPER_CODE_URL}>.
- Code: the `cwmb` package in the repository this card ships in (harness `cwmb-eval`, leaderboard
  `cwmb-leaderboard`, solvers `cwmb-solve`; its `README.md` and `docs/design.md` describe the
  contracts and protocols). The packaged copy of this dataset is `cwmb/`.

## Loading

```python
import datasets
descriptions = datasets.load_dataset("cwmb")["train"]  # the default config: {DEFAULT_CONFIG}
ds = datasets.load_dataset("cwmb", "CartPole-v1")      # from a clone's root, offline
import cwmb
ds = cwmb.load("CartPole-v1")                           # after `pip install`, from anywhere, offline
ds = cwmb.load("CartPole-v1", repo_id="ORG/cwmb")       # from a Hub dataset repo (cached)
descriptions = cwmb.load("descriptions")["train"]
```
"""

_MCTS = COLLECTION_MCTS
_REPEATS = ", ".join(f"{r} ({e})" for e, r in COLLECTION_ACTION_REPEATS.items()) + f", otherwise {_MCTS.action_repeat}"

_PROTOCOL = f"""\
## Collection protocol

Per environment and split, 10 episodes, each from the env's own reset distribution (the first
transition of every episode starts from the real reset state). Seeds: episode `e` of `train` resets
with seed `e`, of `test` with `10000 + e`; the acting policy's generator uses `1000000 +` that
seed, and planners plan on a *separate* simulator instance with its own generator.

- **Discrete actions** (Blackjack, CliffWalking, Taxi, CartPole, MountainCar, Acrobot): episodes 0-4
  take uniformly random actions; episodes 5-9 act by MCTS on the real simulator
  ({_MCTS.n_simulations} simulations, random rollouts of <= {_MCTS.rollout_depth} steps,
  C = {_MCTS.exploration}, discount {_MCTS.discount}, the chosen subtree reused; actions held
  {_REPEATS} steps). The paper's MCTS (a new tree per step, no holding) does no better than random on
  MountainCar and Acrobot, so its "planner" episodes there would have been random ones. Episodes run
  to termination or the episode limit.
- **Continuous actions** (Pendulum and the MuJoCo envs): episode `i` is one open-loop CEM plan on
  the real simulator (horizon {COLLECTION_CEM.horizon} or the episode limit if shorter,
  {COLLECTION_CEM.n_samples} samples, {COLLECTION_CEM.n_elites} elites, initial std
  {COLLECTION_CEM.initial_std} x the action range) with {", ".join(map(str, CEM_ITERATION_BUDGETS))}
  iterations for episodes 0-9, executed until termination or the {CONTINUOUS_EPISODE_CAP}-step cap
  (Reacher: 50, its own limit). More iterations give better behaviour, so the data spans qualities.

`terminated` and `truncated` are kept apart: `truncated` marks the last transition of an episode cut
by the episode limit; a code world model's `done` is compared with `terminated` only.

The real simulator's state before each step (`sim_state`) puts the env back exactly
(`cwmb.simulator.Simulator.set_state`): MuJoCo's `mjSTATE_INTEGRATION` vector, the classic-control
`state` attribute, the toy-text discrete state, and for Blackjack the hands plus the cards the step
drew. A test replays every stored transition from its `sim_state` and checks `next_obs`, `reward` and
`terminated` (exact for discrete envs, <= 1e-9 for MuJoCo). For Ant and Humanoid the simulator calls
`mj_forward` after each step, so that their v5 rewards (which read body positions before stepping) are
a function of the state; trajectories are unchanged, rewards differ from a bare `env.step` by the
one-substep lag of those positions (about 1e-4).
"""

_SCHEMA = """\
## Schema

| column | type | meaning |
|---|---|---|
| `episode` | int32 | episode index in the split (0-9) |
| `step` | int32 | step inside the episode, from 0 |
| `obs` | list<float64>, int64 (Taxi, CliffWalking) or list<int64> (Blackjack) | observation before the action (float32 observations widened exactly) |
| `action` | int64 (discrete) or list<float64> (continuous) | action taken |
| `reward` | float64 | reward of the step |
| `next_obs` | as `obs` | observation after the action |
| `terminated` | bool | the episode ended by the env's own rule |
| `truncated` | bool | the episode was cut by the episode limit after this step |
| `sim_state` | list<float64> | real simulator state before the step (see above) |

The `descriptions` config has one row per environment: `env_id`, `paper_id`, `description`
(markdown, cleaned from the installed Gymnasium docstring), spaces as JSON, planner, episode limit,
make keywords, library versions and reference returns per protocol.
"""

_FOOTER = """\
## Licence

Apache-2.0. The environment descriptions derive from Gymnasium's documentation (MIT licence).

## Citation

```bibtex
@inproceedings{dainese2024generating,
  title     = {Generating Code World Models with Large Language Models Guided by Monte Carlo Tree Search},
  author    = {Dainese, Nicola and Merler, Matteo and Alakuijala, Minttu and Marttinen, Pekka},
  booktitle = {Advances in Neural Information Processing Systems},
  year      = {2024},
  url       = {https://arxiv.org/abs/2405.15383}
}
```

## Differences from the paper's release

- Maintained ids: `CliffWalking-v1`, `Taxi-v4` (same dynamics as v0/v3) and MuJoCo `-v5` (the paper:
  Gymnasium 0.29.1, MuJoCo v4). `Pusher-v4` cannot run on MuJoCo 3+, and MuJoCo 3+ changed the v4
  physics of HalfCheetah, Hopper, Ant and the Humanoids, so the paper's data cannot be regenerated
  bit-for-bit today. `Ant-v5` is made without contact forces in the observation (27 values, as the
  paper's Ant-v4).
- `terminated` and `truncated` are separate (the paper stored `done = terminated or truncated`).
- Rewards are float64 as the env computes them (the paper stored float32).
- A held-out `test` split (the paper scored on the transitions its search optimised).
- The first transition of every MuJoCo episode comes from the real reset state (the paper's came
  from a default-pose simulator).
- Ant has 10 real trajectories (the paper: 2 of 10 steps); both Humanoids are included.
- Every transition carries the simulator state, so it can be replayed exactly.
- The paper's data can still be imported for the `paper-2024` protocol:
  `python -m data_builders.import_paper ORIGINAL_DIR OUT_DIR` (never committed here).
"""


def _config_yaml(env_ids: list[str], n_rows: int) -> str:
    lines = ["---", "license: apache-2.0", "pretty_name: CWMB (Code World Models Benchmark)", "language:", "- en",
             "task_categories:", *(f"- {c}" for c in TASK_CATEGORIES), "tags:", *(f"- {t}" for t in TAGS),
             "size_categories:", f"- {size_category(n_rows)}", "configs:"]
    for env_id in env_ids:
        lines += [f"- config_name: {env_id}", "  data_files:"]
        for split in SPLITS:
            lines += [f"  - split: {split}", f"    path: data/{env_id}/{split}-*.parquet"]
    lines += [f"- config_name: {DEFAULT_CONFIG}", "  default: true", "  data_files:", "  - split: train",
              "    path: data/descriptions/train-*.parquet"]
    return "\n".join(lines + ["---", ""])


def size_category(n_rows: int) -> str:
    """The Hub's `size_categories` bucket of a dataset with `n_rows` rows."""
    return next((bucket for limit, bucket in _SIZE_BUCKETS if n_rows < limit), "n>10M")


def _n_transitions(output: Path) -> int:
    """Rows of every built split (Parquet metadata only)."""
    return sum(pq.ParquetFile(split_path(output, env_id, split)).metadata.num_rows
               for env_id in ENVIRONMENTS if is_built(env_id, output) for split in SPLITS)


def _episode_returns(table) -> dict[int, float]:
    episodes = np.asarray(table.column("episode"))
    rewards = np.asarray(table.column("reward"))
    return {int(e): float(rewards[episodes == e].sum()) for e in np.unique(episodes)}


def _statistics_section(output: Path) -> str:
    times = json.loads(BUILD_TIMES.read_text()) if BUILD_TIMES.exists() else {}
    rows = [
        "## Statistics and build times",
        "",
        "Per split: transitions, terminations, truncations, and the mean episode return of each policy group",
        "(discrete: random / MCTS; continuous: CEM with 1-5 / 8-25 iterations). Build s: the sum over the",
        "env's 20 episodes of each episode's wall-clock seconds, measured by `data_builders.build` on a",
        "2-core machine where 3-5 processes (two build workers, reference-return runs, tests) shared the",
        "cores, so a quiet machine needs less. `python -m benchmarks.collection_rate` compares the",
        "collection's step rate with MuJoCo's raw `mj_step` rate: the work is physics-bound, and the full",
        "protocol needs at most 8.7 single-core hours (4.3 h on 2 cores), above the 1-hour goal.",
        "",
        "| env | split | transitions | terminated | truncated | return, weaker policy | return, stronger policy | build s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    unbuilt = [e for e in ENVIRONMENTS if not is_built(e, output)]
    for env_id, record in ENVIRONMENTS.items():
        for split in SPLITS:
            path = split_path(output, env_id, split)
            build_s = f"{times[env_id]:.0f}" if split == "train" and env_id in times else ""
            if env_id in unbuilt:
                rows.append(f"| {env_id} | {split} | not built yet | | | | | {build_s} |")
                continue
            table = pq.read_table(path)
            returns = _episode_returns(table)
            weak = [r for e, r in returns.items() if e < 5]
            strong = [r for e, r in returns.items() if e >= 5]
            rows.append(
                f"| {env_id} | {split} | {table.num_rows} | {sum(table.column('terminated').to_pylist())} | "
                f"{sum(table.column('truncated').to_pylist())} | {np.mean(weak):.1f} | {np.mean(strong):.1f} | {build_s} |"
            )
    total = sum(times.values())
    rows += ["", f"Total measured build time{' so far' if unbuilt else ''}: {total:.0f} s ({total / 3600:.2f} h of "
                 "single-core work; the sum of per-episode wall times, several of them measured while other jobs "
                 "shared the 2 cores)."]
    if unbuilt:
        progress = [f"{e} ({len(list((DEFAULT_CHECKPOINTS / e).glob('*/episode-*.parquet')))} of 20 episodes)" for e in unbuilt]
        rows += ["", "**Not built yet:** " + ", ".join(progress) + ". Their finished episodes are checkpointed",
                 "in `build_cache/`; `python -m data_builders.build --env ID` resumes them."]
    return "\n".join(rows) + "\n"


def _versions_section() -> str:
    rows = [
        "## Versions",
        "",
        f"Built with gymnasium=={GYMNASIUM_VERSION} and mujoco=={MUJOCO_VERSION} (pinned exactly: the physics",
        "changes between MuJoCo releases); the harness warns when the installed versions differ.",
        "",
        "| env | Gymnasium id and keywords | episode limit | planner | paper id | note |",
        "|---|---|---|---|---|---|",
    ]
    for record in ENVIRONMENTS.values():
        kwargs = ", ".join(f"{k}={v}" for k, v in record.make_kwargs.items())
        made = f"`{record.env_id}`" + (f" ({kwargs})" if kwargs else "")
        rows.append(
            f"| {record.env_id} | {made} | {record.episode_limit} | {record.planner.upper()} | "
            f"{record.paper_id} | {record.paper_note} |"
        )
    return "\n".join(rows) + "\n"


def render_card(output: Path = DEFAULT_OUTPUT) -> str:
    return "\n".join(
        [
            _config_yaml(list(ENVIRONMENTS), _n_transitions(output)),
            "# CWMB: Code World Models Benchmark\n",
            _HEADER,
            _PROTOCOL,
            _SCHEMA,
            _versions_section(),
            _statistics_section(output),
            _FOOTER,
        ]
    )


def write_card(output: Path = DEFAULT_OUTPUT) -> Path:
    return write_text_atomically(output / "README.md", render_card(output))


if __name__ == "__main__":
    print(write_card())
