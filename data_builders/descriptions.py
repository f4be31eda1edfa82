"""Build the `descriptions` config: one row per environment with its text and metadata.

`python -m data_builders.descriptions [--output DIR]` writes
`<DIR>/data/descriptions/train-00000-of-00001.parquet` (default DIR: the `cwmb` package folder).

Each description is the class docstring of the installed Gymnasium environment (the MuJoCo v5
classes carry the documentation), cleaned so that every text reads alike:

- the sections are always, in this order: Description, Action Space, Observation Space, Rewards,
  Starting State, Episode End. Heading variants are renamed ("Reward:" -> "Rewards"); sections that
  explain the dynamics (MountainCar's "Transition Dynamics", Swimmer's "Notes", Acrobot's
  "Integration timestep") become subsections of Description; Arguments, Vectorized environment,
  Version History, References and Information are dropped;
- markup becomes readable text: links keep their text and lose their URL, `[1]`-style references,
  HTML anchors, images, figures and code blocks are removed, `<sup>`/`<sub>`, LaTeX (`$...$`) and
  sphinx roles (`:math:`) become plain formulas;
- sentences about keyword arguments CWMB does not use, about `info`, and about older versions are
  dropped, and the per-environment corrections below fix what the docstrings get wrong about the
  environment CWMB actually makes (Ant without contact forces, Pusher's observation size, ...);
- CWMB's own facts are added: how a code world model receives actions and observations, the
  episode limit CWMB truncates at, and that `done` means termination, never truncation.

The metadata columns (spaces as JSON, planner, episode limit, make keywords, library versions) come
from `cwmb.registry` and from the environment itself. Reference returns are left as "{}" here.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from gymnasium import spaces

from cwmb.errors import DatasetError
from cwmb.registry import ENVIRONMENTS, GYMNASIUM_VERSION, MUJOCO_VERSION, EnvRecord
from data_builders.build import DEFAULT_OUTPUT, write_table_atomically

#: Every description has exactly these sections, in this order.
SECTIONS = ("Description", "Action Space", "Observation Space", "Rewards", "Starting State", "Episode End")

_RENAMED_SECTIONS = {"Reward": "Rewards", "Episode Truncation": "Episode End"}
_SUBSECTIONS_OF_DESCRIPTION = ("Transition Dynamics", "Notes", "Integration timestep")
_DROPPED_SECTIONS = ("Arguments", "Vectorized environment", "Version History", "References", "Information")

DESCRIPTIONS_SCHEMA = pa.schema(
    [
        pa.field("env_id", pa.string()),
        pa.field("paper_id", pa.string()),
        pa.field("description", pa.string()),
        pa.field("action_kind", pa.string()),
        pa.field("planner", pa.string()),
        pa.field("observation_kind", pa.string()),
        pa.field("action_space", pa.string()),
        pa.field("observation_space", pa.string()),
        pa.field("episode_limit", pa.int64()),
        pa.field("make_kwargs", pa.string()),
        pa.field("gymnasium_version", pa.string()),
        pa.field("mujoco_version", pa.string()),
        pa.field("reference_returns", pa.string()),
    ],
    metadata={"config": "descriptions"},
)


def descriptions_path(output: Path) -> Path:
    return output / "data" / "descriptions" / "train-00000-of-00001.parquet"


# -- markup -> readable text ----------------------------------------------------------------------

_LINE_PATTERNS_TO_DROP = [
    re.compile(pattern)
    for pattern in (
        r"during construction",  # how to change a keyword argument CWMB leaves at its default
        r"^Regardless of whether",
        r"^In this case, the observation space will be",
        r"^(and )?`info` (also )?contains",  # `info` is not part of a code world model's interface
        r"^(One can read more|More information can be found)",  # pointers to external documentation
    )
]
_VERSION_MENTION = re.compile(r"-v(\d)\b|`v(\d)`")
# Sentences written for the default keyword arguments or with a wrong shape, reworded for the env CWMB makes.
_REWORDINGS = [
    (re.compile(r"The action shape is `\(1,\)` in the range"), "The action is an `int` in the range"),
    (re.compile(r"The action is a `ndarray` with shape `\(1,\)` which"), "The action is an `int` which"),
    (re.compile(r"By default, however, the observation space"), "The observation space"),
    (re.compile(r"By default, the observation does not include"), "The observation does not include"),
    (re.compile(r"If `terminate_when_unhealthy is True` \((which is )?the default\), the"), "The"),
    (re.compile(r"\s*\(if\s+`exclude_current_positions_from_observation=True`, otherwise `[^`]*`\)"), ""),
    (
        re.compile(
            r"\((`observation\[\d+\]`) if\s+`exclude_current_positions_from_observation=True`, otherwise `[^`]*`\)"
        ),
        r"(\1)",
    ),
]


def _without_fenced_blocks(text: str) -> str:
    """Drop code blocks and MyST figures (fenced by ``` or, in one docstring, by ''')."""
    kept, inside = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "'''")):
            inside = not inside
            continue
        if not inside:
            kept.append(line)
    return "\n".join(kept)


def _without_rst_directives(text: str) -> str:
    """Drop `.. directive::` blocks (e.g. `.. versionchanged::`) and their indented body."""
    kept, inside = [], False
    for line in text.splitlines():
        if re.match(r"\s*\.\. [\w-]+::", line):
            inside = True
            continue
        if inside and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        inside = False
        kept.append(line)
    return "\n".join(kept)


def _latex_to_text(expression: str) -> str:
    """One LaTeX formula -> plain text: `w_{forward} \\times \\frac{dx}{dt}` -> `w_forward * dx/dt`."""
    # In one docstring "\times" lost its backslash-t to a tab (expanded to spaces by inspect.cleandoc).
    text = re.sub(r"\s+imes(?=\s)", r" \\times", expression)
    scientific = re.fullmatch(r"\s*(?:(\d+(?:\.\d+)?)\s*\\times\s*)?10\^\{(-?\d+)\}\s*", text)
    if scientific:
        return f"{scientific[1] or 1}e{scientific[2]}"
    text = text.replace(r"\_", "_")
    text = re.sub(r"\\mathcal\{(\w)\}", r"\1", text)
    previous = None
    while previous != text:  # innermost subscripts first: U_{[-s \times I_{9}, ...]} -> U[-s \times I_9, ...]
        previous = text
        text = re.sub(r"_\{([^{}]*)\}", _subscript, text)
    text = re.sub(r"\^\{([^{}]*)\}", lambda m: "^" + _grouped(m[1]), text)
    text = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: f"{_grouped(m[1])}/{_grouped(m[2])}", text)
    for latex, plain in ((r"\times", "*"), (r"\|", "||"), (r"\leq", "<="), (r"\infty", "inf"), (r"\omega", "omega")):
        text = text.replace(latex, plain)
    if "\\" in text:
        raise ValueError(f"unknown LaTeX command in {expression!r}: extend _latex_to_text")
    return re.sub(r"\s+", " ", text).strip()


def _subscript(match: re.Match) -> str:
    content = match[1]
    return content if content.startswith("[") else "_" + _grouped(content)


def _grouped(content: str) -> str:
    return content if re.fullmatch(r"[\w.-]+", content) else f"({content})"


def _math_to_text(match: re.Match) -> str:
    """Numbers and intervals stay plain text (`default is 0.5`); formulas go in backticks."""
    text = _latex_to_text(match[1])
    if re.fullmatch(r"[-+\d.e\[\], inf]+", text):
        return text
    return f"`{text}`"


def strip_markup(text: str) -> str:
    """Links, references, HTML, images, figures, code, LaTeX and sphinx roles -> readable text."""
    text = _without_rst_directives(_without_fenced_blocks(text))
    text = re.sub(r":\w+:`([^`]*)`", r"`\1`", text)  # sphinx roles such as :math:`x`
    text = re.sub(r"\s*\[<a href=\"#[^\"]*\">\d+</a>\]", "", text)  # [1]-style references
    text = re.sub(r"(?<!`) ?\[\d+\](?![`(])", "", text)
    text = re.sub(r"<a id=\"[^\"]*\"></a>", "", text)
    text = re.sub(r"<a href=\"[^\"]*\">(.*?)</a>", r"\1", text)
    text = re.sub(r"<sup>(.*?)</sup>", lambda m: "^" + _grouped(m[1]), text)
    text = re.sub(r"<sub>(.*?)</sub>", lambda m: "_" + _grouped(m[1]), text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[(https?://[^\]]*)\]\([^)]*\)", "", text)  # links that show their URL
    text = re.sub(r"\[([^\]]+)\]\((?:https?://|/)[^)]*\)", r"\1", text)  # links keep their text
    text = re.sub(r"\s*https?://\S+", "", text)
    text = re.sub(r"\$([^$\n]+)\$", _math_to_text, text)
    return text


_OLD_ID_COLUMN = "id (for `v2`, `v3`, `v4)`"


def _table_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _without_old_version_columns(text: str) -> str:
    """Body-part and joint tables: drop the `v2`-`v4` id column and the rows v5 excludes."""
    lines, kept, i = text.splitlines(), [], 0
    while i < len(lines):
        if not (lines[i].startswith("|") and _OLD_ID_COLUMN in _table_cells(lines[i])):
            kept.append(lines[i])
            i += 1
            continue
        old_column = _table_cells(lines[i]).index(_OLD_ID_COLUMN)
        while i < len(lines) and lines[i].startswith("|"):
            cells = _table_cells(lines[i])
            if cells[-1] != "excluded":
                del cells[old_column]
                kept.append("| " + " | ".join(cells).replace("id (for `v5`)", "id") + " |")
            i += 1
    return "\n".join(kept)


def _is_old_version_note(paragraph: str, version: int) -> bool:
    """A paragraph about mujoco-py or about an older version of the environment (e.g. `v4` for a v5 env)."""
    mentioned = [int(a or b) for a, b in _VERSION_MENTION.findall(paragraph)]
    return "mujoco-py" in paragraph or any(v < version for v in mentioned)


def _without_argument_and_version_notes(text: str, version: int) -> str:
    """Drop lines about keyword arguments, `info` and external docs, and paragraphs about old versions."""
    lines = [line for line in text.splitlines() if not any(p.search(line.strip()) for p in _LINE_PATTERNS_TO_DROP)]
    paragraphs = re.split(r"\n\s*\n", "\n".join(lines))
    text = "\n\n".join(p for p in paragraphs if not _is_old_version_note(p, version))
    for pattern, replacement in _REWORDINGS:
        text = pattern.sub(replacement, text)
    return text


def _tidy(text: str) -> str:
    """Strip trailing spaces and collapse runs of blank lines."""
    text = "\n".join(line.rstrip() for line in text.splitlines())
    text = re.sub(r"^(###.*)\n(?!\n)", r"\1\n\n", text, flags=re.MULTILINE)  # blank line after subheadings
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def clean_section(body: str, version: int) -> str:
    """One docstring section as readable markdown; `version` is the environment's (5 for `Ant-v5`)."""
    return _tidy(_without_argument_and_version_notes(_without_old_version_columns(strip_markup(body)), version))


# -- sections -------------------------------------------------------------------------------------


def split_sections(docstring: str) -> tuple[str, list[tuple[str, str]]]:
    """`(text before the first heading, [(heading, body), ...])` for the `## ` headings."""
    parts = re.split(r"^## +(.+?)\s*$", inspect.cleandoc(docstring), flags=re.MULTILINE)
    intro, rest = parts[0], parts[1:]
    return intro.strip(), [(rest[i].rstrip(":").strip(), rest[i + 1]) for i in range(0, len(rest), 2)]


def canonical_sections(env_id: str, docstring: str) -> dict[str, str]:
    """The six sections, cleaned; explanatory extras folded into Description, the rest dropped.

    Raises:
        ValueError: a heading this module does not know, or a missing section.
    """
    intro, sections = split_sections(docstring)
    version = int(env_id.rsplit("-v", 1)[1])
    found: dict[str, str] = {}
    subsections = []
    for heading, body in sections:
        if heading in _DROPPED_SECTIONS:
            continue
        if heading in _SUBSECTIONS_OF_DESCRIPTION:
            subsections.append(f"### {heading}\n\n{clean_section(body, version)}")
            continue
        name = _RENAMED_SECTIONS.get(heading, heading)
        if name not in SECTIONS:
            raise ValueError(f"{env_id}: unknown docstring section {heading!r}; keep, fold or drop it in {__name__}")
        found[name] = clean_section(body, version)
    found["Description"] = "\n\n".join(
        part for part in (clean_section(intro, version), found.get("Description", ""), *subsections) if part
    )
    missing = [name for name in SECTIONS if not found.get(name)]
    if missing:
        raise ValueError(f"{env_id}: the docstring has no {', '.join(missing)} section")
    return {name: found[name] for name in SECTIONS}


# -- per-environment corrections ------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    """Replace `old` (which must occur exactly once in the cleaned section) by `new`."""

    section: str
    old: str
    new: str


_ANT_CONTACT_FORCES = (
    "CWMB makes Ant-v5 with `include_cfrc_ext_in_observation=False`, as the paper's Ant-v4: "
    "the 78 external contact forces (`cfrc_ext`) are not part of the observation."
)

_HUMANOID_ACTUATOR_FORCES = Correction(
    "Observation Space",
    "This has shape `(17,)`  *(nv * 1)*.",
    "It has one element per actuated joint (*nv - 6*: the torso's free joint is left out).",
)

CORRECTIONS: dict[str, tuple[Correction, ...]] = {
    "Blackjack-v1": (
        Correction("Rewards", "+1.5 (if natural is True)\n+1 (if natural is False)", "+1 (CWMB uses `natural=False`)"),
    ),
    "CliffWalking-v1": (
        Correction(
            "Description",
            "The cliff can be chosen to be slippery (disabled by default) so the player may move perpendicular\n"
            "to the intended direction sometimes (see `is_slippery`).\n\nWith inspiration from:",
            "The player always moves in the intended direction (the cliff is not slippery).",
        ),
    ),
    "Taxi-v4": (
        Correction("Description", 'From "Hierarchical', 'The problem is from "Hierarchical'),
        Correction("Observation Space", "on the ansi rendered map", "on the map"),
        Correction(
            "Rewards", "penalty. Noops can be avoided by sampling the `action_mask` returned in `info`.", "penalty."
        ),
    ),
    "CartPole-v1": (
        Correction(
            "Rewards",
            " The default reward threshold is 500 for v1 and 200 for v0 due to the time limit on the environment.",
            "",
        ),
        Correction(
            "Rewards",
            "If `sutton_barto_reward=True`, then a reward of `0` is awarded for every non-terminating step and "
            "`-1` for the terminating step. As a result, the reward threshold is 0 for v0 and v1.",
            "",
        ),
        Correction("Rewards", "by default, a reward", "a reward"),
    ),
    "Acrobot-v1": (
        Correction(
            "Description",
            "As seen in the **Gif**: two blue links connected by two green joints. The joint in\n"
            "between the two links is actuated. The goal is to swing the free end of the outer-link\n"
            "to reach the target height (black horizontal line above system) by applying torque on\n"
            "the actuator.",
            "",
        ),
        Correction(
            "Description",
            "The timestep can be changed through the unwrapped environment:\n\n"
            "Smaller timesteps can reduce numerical integration error.",
            "",
        ),
    ),
    "Pendulum-v1": (
        Correction(
            "Description",
            "The diagram below specifies the coordinate system used for the implementation of the pendulum's\n"
            "dynamic equations.",
            "The acceleration of gravity is g = 10.0 m/s^2.",
        ),
    ),
    "Reacher-v5": (
        Correction("Action Space", "An action `(a, b)` represents", "An action represents"),
        Correction(
            "Observation Space",
            "The vector between the target and the reacher's.",
            "The x and y components of (position of the fingertip - position of the target).",
        ),
        Correction(
            "Rewards",
            "It is `-w_near ||(P_fingertip - P_target)||_2`.\n"
            "where `w_near` is the `reward_near_weight` (default is 1).",
            "It is `-w_dist ||(P_fingertip - P_target)||_2`,\n"
            "where `w_dist` is the `reward_dist_weight` (default is 1).",
        ),
        Correction(
            "Rewards",
            "i.e. as `-w_control ||action||_2^2`.\nwhere `w_control` is the `reward_control_weight`. (default is 0.1)",
            "i.e. as `-w_control ||action||_2^2`,\nwhere `w_control` is the `reward_control_weight` (default is 1).",
        ),
        Correction("Rewards", "penalize the walker", "penalize the reacher"),
        Correction("Starting State", "*dt = 5 * 0.01 = 0.02*", "*dt = 2 * 0.01 = 0.02*"),
    ),
    "Pusher-v5": (
        Correction("Action Space", "An action `(a, b)` represents", "An action represents"),
        Correction("Observation Space", "`Box(-Inf, Inf, (17,), float64)`", "`Box(-Inf, Inf, (23,), float64)`"),
        Correction(
            "Rewards",
            "further away from the target.\nIt is `-w_near ||(P_fingertip - P_target)||_2`.",
            "further away from the object.\nIt is `-w_near ||(P_fingertip - P_object)||_2`.",
        ),
    ),
    "InvertedPendulum-v5": (
        Correction(
            "Rewards",
            "a reward of +1 is given for each timestep that the pole is upright.",
            "a reward of +1 is given for each timestep that the pole is upright,\n"
            "and a reward of 0 for the step on which it is no longer upright (which terminates the episode).",
        ),
    ),
    "InvertedDoublePendulum-v5": (
        Correction("Rewards", "`10^-3 omega_1 + 5 * 10^-3 omega_2`", "`1e-3 * omega_1^2 + 5e-3 * omega_2^2`"),
        Correction("Rewards", "xy-coordinatesof", "xy-coordinates of"),
        Correction("Episode End", "1.Termination: The y_coordinate", "1. The y-coordinate"),
    ),
    "Swimmer-v5": (
        Correction("Description", "The problem parameters are:\nProblem parameters:", "The problem parameters are:"),
    ),
    "Walker2d-v5": (
        Correction("Rewards", "*healthy_reward bonus + forward_reward", "*healthy_reward + forward_reward"),
        Correction("Rewards", "(default is 1),\n- *forward_reward*", "(default is 1).\n- *forward_reward*"),
        Correction(
            "Episode End",
            "(`observation[1]` if `exclude_current_positions_from_observation=False`, else `observation[2]`)",
            "(`observation[1]`)",
        ),
    ),
    "Ant-v5": (
        Correction(
            "Observation Space",
            "- *cfrc_ext (78 elements):* This is the center of mass based external forces on the body parts.\n"
            "It has shape 13 * 6 (*nbody * 6*) and hence adds another 78 elements to the state space.\n"
            "(external forces - force x, y, z and torque x, y, z)",
            "",
        ),
        Correction(
            "Observation Space",
            "The observation does not include the x- and y-coordinates of the torso.",
            "The observation does not include the x- and y-coordinates of the torso.\n" + _ANT_CONTACT_FORCES,
        ),
        Correction(
            "Observation Space",
            "`Box(-Inf, Inf, (105,), float64)`, where the position and velocity elements are",
            "`Box(-Inf, Inf, (27,), float64)`, where the elements are",
        ),
        Correction(
            "Observation Space",
            "The body parts are:",
            "The body parts (on which the contact forces of the contact cost act) are:",
        ),
        Correction(
            "Rewards",
            "`F_contact` are the external contact forces clipped by `contact_force_range` "
            "(see `cfrc_ext` section on Observation Space).",
            "`F_contact` are the external contact forces clipped to the `contact_force_range`\n"
            "(default is [-1.0, 1.0]). "
            "The contact cost is part of the reward although the contact forces are not part of the observation.",
        ),
    ),
    "Humanoid-v5": (
        _HUMANOID_ACTUATOR_FORCES,
        Correction("Rewards", "`frametime` which is 0.001", "`frametime` which is 0.003"),
        Correction(
            "Rewards",
            "`w_contact * clamp(contact_cost_range, ||F_contact||_2^2)`, where",
            "`w_contact * ||F_contact||_2^2` clipped to the `contact_cost_range` (default is [-inf, 10.0]), where",
        ),
    ),
    "HumanoidStandup-v5": (
        _HUMANOID_ACTUATOR_FORCES,
        Correction(
            "Rewards",
            "It is measured as `w_uph * (z_after_action - 0)/dt`,\n"
            "where `z_after_action` is the z coordinate of the torso after taking an action,\n"
            "and `dt` is the time between actions, which depends on the `frame_skip` parameter (default is 5),\n"
            "and `frametime`, which is 0.01 - so the default is `dt = 5 * 0.01 = 0.05`,\n"
            "and `w_uph` is `uph_cost_weight` (default is 1).",
            "It is measured as `(z_after_action - 0)/frametime`,\n"
            "where `z_after_action` is the z coordinate of the torso after taking an action\n"
            "and `frametime`, which is 0.003, is one MuJoCo time step (not the time between actions,\n"
            "which is `dt = 5 * 0.003 = 0.015` with the `frame_skip` parameter (default is 5)).",
        ),
        Correction("Rewards", "- *impact_cost*:", "- *quad_impact_cost*:"),
        Correction(
            "Rewards",
            "`w_impact * clamp(impact_cost_range, ||F_contact||_2^2)`, where",
            "`w_impact * ||F_contact||_2^2` clipped to the `impact_cost_range` (default is [-inf, 10.0]), where",
        ),
    ),
}


def apply_corrections(env_id: str, sections: dict[str, str]) -> dict[str, str]:
    """Apply `CORRECTIONS[env_id]`; each must match exactly once, so a changed docstring is noticed.

    Raises:
        ValueError: a correction matches zero or several times.
    """
    corrected = dict(sections)
    for correction in CORRECTIONS.get(env_id, ()):
        count = corrected[correction.section].count(correction.old)
        if count != 1:
            raise ValueError(
                f"{env_id}: a correction of {correction.section!r} matches {count} times instead of once: "
                f"{correction.old!r}"
            )
        corrected[correction.section] = _tidy(corrected[correction.section].replace(correction.old, correction.new))
    return corrected


# -- what CWMB adds -------------------------------------------------------------------------------


def _without_truncation(body: str) -> str:
    """Remove the docstring's own time limit: `### Truncation` blocks and `Truncation` list items."""
    body = re.sub(r"^### Truncation\n.*?(?=^### |\Z)", "", body, flags=re.MULTILINE | re.DOTALL)
    kept: list[str] = []
    item_indent: int | None = None
    for line in body.splitlines():
        indent = len(line) - len(line.lstrip())
        if item_indent is not None and line.strip() and indent > item_indent:
            continue  # continuation of a removed list item
        item_indent = None
        if re.match(r"\s*(?:[-*]|\d+\.)\s*Truncation", line):
            item_indent = indent
            continue
        if "truncates" in line:
            continue
        kept.append(line)
    return _tidy("\n".join(kept))


def episode_end(body: str, episode_limit: int) -> str:
    """Termination rules of the docstring, then CWMB's time limit and the meaning of `done`."""
    termination = _without_truncation(body) or "The episode never terminates."
    if not termination.startswith("### Termination"):
        termination = "### Termination\n\n" + termination
    done = (
        "A code world model's `step(action)` returns `(next_state, reward, done)`: `done` is True exactly when "
        "the step terminates the episode by the rules above; truncation by the time limit is never `done`."
    )
    if "never terminates" in termination:
        done += " Here `done` is therefore always False."
    truncation = (
        f"### Truncation\n\nCWMB truncates every episode after {episode_limit} steps. Truncation is a time limit, "
        "not a property of the state: the state reached by the last step is an ordinary state."
    )
    return f"{termination}\n\n{truncation}\n\n{done}"


def _bound(value: float, dtype: np.dtype) -> str:
    if np.isinf(value):
        return "inf" if value > 0 else "-inf"
    return str(dtype.type(value))


def _value_set(space: spaces.Discrete) -> str:
    first, last = int(space.start), int(space.start + space.n - 1)
    return f"`{{{first}, {last}}}`" if space.n == 2 else f"`{{{first}, ..., {last}}}`"


def space_sentence(space: spaces.Space, role: str, array_dtype: str) -> str:
    """How a code world model receives the action or observation (the CWMB contract), in one sentence."""
    lead = f"In CWMB, a code world model receives the {role} as"
    if isinstance(space, spaces.Discrete):
        return f"{lead} an `int` in {_value_set(space)}."
    if isinstance(space, spaces.Tuple) and all(isinstance(s, spaces.Discrete) for s in space.spaces):
        sets = [_value_set(s) for s in space.spaces]
        return f"{lead} a tuple of {len(sets)} `int`s, in {', '.join(sets[:-1])} and {sets[-1]} respectively."
    if isinstance(space, spaces.Box) and len(space.shape) == 1:
        array = f"{lead} a numpy {array_dtype} array of shape `{space.shape}`"
        low, high = space.low, space.high
        if np.all(low == low[0]) and np.all(high == high[0]):
            bounds = f"`[{_bound(low[0], space.dtype)}, {_bound(high[0], space.dtype)}]`"
            return f"{array} with every element in {bounds} (Gymnasium space `{space}`)."
        lows = ", ".join(_bound(x, space.dtype) for x in low)
        highs = ", ".join(_bound(x, space.dtype) for x in high)
        return f"{array} with element-wise bounds `low = [{lows}]` and `high = [{highs}]`."
    raise TypeError(f"no sentence for {space!r}: extend space_sentence")


def _json_bounds(values: np.ndarray) -> list[float | None]:
    """Exact float values (float32 bounds widen exactly to float64); `None` for an infinite bound."""
    return [None if np.isinf(x) else float(x) for x in values.ravel()]


def space_to_json(space: spaces.Space) -> dict[str, Any]:
    """A space as plain JSON data; infinite Box bounds are `null`."""
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Tuple):
        return {"type": "Tuple", "spaces": [space_to_json(s) for s in space.spaces]}
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "shape": list(space.shape),
            "dtype": str(space.dtype),
            "low": _json_bounds(space.low),
            "high": _json_bounds(space.high),
        }
    raise TypeError(f"cannot describe {space!r} as JSON: extend space_to_json")


def _with_reset_noise_scale(starting_state: str, unwrapped: Any) -> str:
    """The formulas name `reset_noise_scale`; its value was only in the dropped Arguments table."""
    if "reset_noise_scale" not in starting_state or not hasattr(unwrapped, "_reset_noise_scale"):
        return starting_state
    return f"{starting_state}\n\nHere `reset_noise_scale` (default is {unwrapped._reset_noise_scale}) scales the noise."


def describe(record: EnvRecord, env: Any) -> str:
    """The cleaned markdown description of `record`'s environment, as made by `record.make()`."""
    sections = apply_corrections(record.env_id, canonical_sections(record.env_id, env.unwrapped.__class__.__doc__))
    action_dtype = "float64" if record.action_kind == "continuous" else "int64"
    action_sentence = space_sentence(env.action_space, "action", action_dtype)
    observation_sentence = space_sentence(env.observation_space, "observation", record.observation_dtype)
    sections["Action Space"] = f"{action_sentence}\n\n{sections['Action Space']}"
    sections["Observation Space"] = f"{observation_sentence}\n\n{sections['Observation Space']}"
    sections["Starting State"] = _with_reset_noise_scale(sections["Starting State"], env.unwrapped)
    sections["Episode End"] = episode_end(sections["Episode End"], record.episode_limit)
    return "\n\n".join(f"## {name}\n\n{sections[name]}" for name in SECTIONS) + "\n"


# -- rows and the Parquet file --------------------------------------------------------------------


def installed_versions() -> tuple[str, str]:
    """`(gymnasium, mujoco)` versions, which must be the ones the registry pins.

    Raises:
        DatasetError: another version is installed (descriptions and spaces could differ).
    """
    import gymnasium
    import mujoco

    installed = (gymnasium.__version__, mujoco.__version__)
    if installed != (GYMNASIUM_VERSION, MUJOCO_VERSION):
        raise DatasetError(
            f"descriptions must be built with gymnasium=={GYMNASIUM_VERSION} and mujoco=={MUJOCO_VERSION}, "
            f"found {installed[0]} and {installed[1]}: "
            f'pip install "gymnasium=={GYMNASIUM_VERSION}" "mujoco=={MUJOCO_VERSION}"'
        )
    return installed


def _reference_returns(env_id: str) -> str:
    """Mean random and oracle returns per protocol (JSON), from the shipped `cwmb/references/`."""
    from cwmb.protocols import PROTOCOLS
    from cwmb.references import load_references

    summary = {}
    for protocol in PROTOCOLS:
        entry = load_references(protocol).get(env_id, {})
        if all(entry.get(p, {}).get("returns") for p in ("random", "oracle")):
            summary[protocol] = {
                p: {"mean": float(np.mean(entry[p]["returns"])), "episodes": len(entry[p]["returns"])}
                for p in ("random", "oracle")
            }
    return json.dumps(summary, sort_keys=True)


def description_record(record: EnvRecord) -> dict[str, Any]:
    """One row of the `descriptions` config."""
    gymnasium_version, mujoco_version = installed_versions()
    env = record.make()
    try:
        return {
            "env_id": record.env_id,
            "paper_id": record.paper_id,
            "description": describe(record, env),
            "action_kind": record.action_kind,
            "planner": record.planner,
            "observation_kind": record.observation_kind,
            "action_space": json.dumps(space_to_json(env.action_space)),
            "observation_space": json.dumps(space_to_json(env.observation_space)),
            "episode_limit": record.episode_limit,
            "make_kwargs": json.dumps(record.make_kwargs, sort_keys=True),
            "gymnasium_version": gymnasium_version,
            "mujoco_version": mujoco_version,
            "reference_returns": _reference_returns(record.env_id),
        }
    finally:
        env.close()


def description_records() -> list[dict[str, Any]]:
    """All rows, in registry order."""
    return [description_record(record) for record in ENVIRONMENTS.values()]


def build_descriptions(output: Path) -> Path:
    """Write the `descriptions` config under `output` (atomically, byte-identical on rerun)."""
    path = descriptions_path(output)
    write_table_atomically(pa.Table.from_pylist(description_records(), schema=DESCRIPTIONS_SCHEMA), path)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="dataset folder (Hub layout)")
    args = parser.parse_args(argv)
    print(build_descriptions(args.output))


if __name__ == "__main__":
    main()

