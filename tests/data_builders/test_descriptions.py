"""The `descriptions` config: every text is checked against the real environment it describes.

The checks parse what the text states (sizes, bounds, reward formula, parameter defaults, time step,
episode limit) and compare it with `record.make()`; they never reuse the builder's own helpers, so a
wrong docstring or a wrong correction fails here. `test_checks_fail_on_uncorrected_docstrings` shows
that they do catch the errors the raw Gymnasium docstrings contain.
"""

from __future__ import annotations

import json
import math
import re
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from gymnasium import spaces

from cwmb.errors import DatasetError
from cwmb.registry import ENVIRONMENTS, GYMNASIUM_VERSION, MUJOCO_VERSION, EnvRecord
from data_builders import descriptions
from data_builders.build import DEFAULT_OUTPUT

RECORDS = list(ENVIRONMENTS.values())
IDS = [record.env_id for record in RECORDS]
HEADINGS = ["Description", "Action Space", "Observation Space", "Rewards", "Starting State", "Episode End"]

LEFTOVERS = {
    "Arguments section": r"^#+ Arguments",
    "Version History section": r"Version History",
    "Vectorized section": r"Vectorized",
    "Information section": r"^#+ Information",
    "URL": r"https?://|www\.",
    "sphinx role": r":\w+:`",
    "rst directive": r"^\s*\.\. [\w-]+::",
    "code fence or MyST figure": r"```|'''|\{figure\}",
    "HTML": r"</?(a|sup|sub)\b",
    "LaTeX": r"\$|\\[a-zA-Z]+",
    "numbered reference": r"(?<!`)\[\d+\](?!`)",
    "the info dict": r"`info`",
}

# Documented reward term -> (key of the info dict, sign of the info value relative to the term).
REWARD_TERMS = {
    "healthy_reward": ("reward_survive", 1),
    "alive_bonus": ("reward_survive", 1),
    "forward_reward": ("reward_forward", 1),
    "ctrl_cost": ("reward_ctrl", -1),
    "contact_cost": ("reward_contact", -1),
    "reward_distance": ("reward_dist", 1),
    "reward_dist": ("reward_dist", 1),
    "reward_control": ("reward_ctrl", 1),
    "reward_ctrl": ("reward_ctrl", 1),
    "reward_near": ("reward_near", 1),
    "distance_penalty": ("distance_penalty", -1),
    "velocity_penalty": ("velocity_penalty", -1),
    "uph_cost": ("reward_linup", 1),
    "quad_ctrl_cost": ("reward_quadctrl", -1),
    "quad_impact_cost": ("reward_impact", -1),
}

NUMBER = r"[-+]?(?:\d+(?:\.\d+)?(?:e-?\d+)?|inf)"


# -- fixtures and helpers -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return descriptions.build_descriptions(tmp_path_factory.mktemp("descriptions"))


@pytest.fixture(scope="module")
def rows(built) -> dict[str, dict]:
    """The rows as stored in the Parquet file (what users download)."""
    return {row["env_id"]: row for row in pq.read_table(built).to_pylist()}


@contextmanager
def made(record: EnvRecord):
    env = record.make()
    try:
        yield env
    finally:
        env.close()


def section(text: str, name: str) -> str:
    match = re.search(rf"^## {re.escape(name)}\n(.*?)(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    assert match, f"no '## {name}' section"
    return match[1]


def subsection(text: str, name: str) -> str:
    match = re.search(rf"^### {re.escape(name)}\n(.*?)(?=^##|\Z)", text, flags=re.MULTILINE | re.DOTALL)
    assert match, f"no '### {name}' subsection"
    return match[1]


def to_float(token: str) -> float:
    return float(token.replace("Inf", "inf").lstrip("+"))


def first_number(cell: str) -> tuple[float, float]:
    """`(value, tolerance)` of a table cell such as `-Inf`, `4.8` or `~ -0.418 rad (-24°)`.

    A value marked `~` is rounded: it may differ by one unit of its last digit.
    """
    match = re.search(NUMBER, cell.replace("Inf", "inf"))
    assert match, f"no number in table cell {cell!r}"
    decimals = len(match[0].partition(".")[2])
    return to_float(match[0]), 10.0**-decimals if "~" in cell else 0.0


def first_num_table(text: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the first table whose first column is `Num` (empty if there is none)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == "Num":
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                rows.append([c.strip() for c in row.strip().strip("|").split("|")])
            return cells, rows
    return [], []


def assert_close(stated: float, actual: float, tolerance: float, what: str) -> None:
    """Equal up to float32 rounding, or up to `tolerance` for a value the text rounds."""
    if math.isinf(stated) or math.isinf(actual):
        assert stated == actual, f"{what}: text says {stated}, env has {actual}"
    else:
        assert math.isclose(stated, actual, rel_tol=1e-6, abs_tol=max(tolerance, 1e-9)), (
            f"{what}: text says {stated}, env has {actual}"
        )


def random_rollout(env, steps: int, seed: int = 0):
    """`(reward, terminated, info)` of `steps` random steps, resetting when an episode ends."""
    env.reset(seed=seed)
    env.action_space.seed(seed)
    for _ in range(steps):
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        yield float(reward), bool(terminated), info
        if terminated or truncated:
            env.reset()


# -- checks of one description against one env (plain functions, also used on broken texts) --------


def check_no_leftovers(text: str) -> None:
    assert re.findall(r"^## (.+)$", text, flags=re.MULTILINE) == HEADINGS
    for what, pattern in LEFTOVERS.items():
        found = re.search(pattern, text, flags=re.MULTILINE)
        assert not found, f"leftover {what}: {found[0]!r}"


def check_box_statements(text: str, space: spaces.Box, role: str) -> None:
    n = space.shape[0]
    size_statements = 0
    for low, high, shape, dtype in re.findall(r"`Box\(([^,]+), ([^,]+), \(([\d, ]*)\), (\w+)\)`", text):
        size_statements += 1
        assert tuple(int(x) for x in shape.split(",") if x.strip()) == space.shape, f"{role} Box shape ({shape})"
        assert dtype == str(space.dtype), f"{role} Box dtype {dtype}"
        for stated, actual in ((low, space.low), (high, space.high)):
            for value in actual:
                assert_close(to_float(stated), float(value), 0.0, f"{role} Box bound")
    for shape in re.findall(r"shape `?\(([\d, ]*)\)`?", text):
        size_statements += 1
        assert tuple(int(x) for x in shape.split(",") if x.strip()) == space.shape, f"{role} shape ({shape})"
    assert size_statements, f"the {role} size is never stated"
    for low, high in re.findall(rf"in `\[({NUMBER}), ({NUMBER})\]`", text, flags=re.IGNORECASE):
        for value in space.low:
            assert_close(to_float(low), float(value), 0.0, f"{role} lower bound")
        for value in space.high:
            assert_close(to_float(high), float(value), 0.0, f"{role} upper bound")
    for name, actual in (("low", space.low), ("high", space.high)):
        for listed in re.findall(rf"`{name} = \[([^\]]*)\]`", text):
            values = [to_float(x.strip()) for x in listed.split(",")]
            assert len(values) == n, f"{role} {name} has {len(values)} values"
            for i, (stated, value) in enumerate(zip(values, actual)):
                assert_close(stated, float(value), 0.0, f"{role} {name}[{i}]")
    header, table = first_num_table(text)
    indices = [int(row[0]) for row in table if row[0].isdigit()]
    assert indices == list(range(len(indices))), f"{role} table rows are numbered {indices}"
    for column, actual in (("Min", space.low), ("Max", space.high)):
        if any(column in cell for cell in header):
            at = next(i for i, cell in enumerate(header) if column in cell)
            for row in table:
                if row[0].isdigit():
                    stated, tolerance = first_number(row[at])
                    assert_close(stated, float(actual[int(row[0])]), tolerance, f"{role} {column} of row {row[0]}")
    parts = [int(k) for k in re.findall(r"^- \*[^\n]*?\((\d+) elements?\b", text, flags=re.MULTILINE)]
    if parts:
        assert sum(parts) == n, f"{role} parts add up to {sum(parts)} elements, the env has {n}"
    if role == "action":
        assert len(indices) == n, f"the action table lists {len(indices)} of {n} elements"
    else:
        assert len(indices) == n or sum(parts) == n, f"the text accounts for {len(indices)} of {n} elements"


def value_sets(text: str) -> list[tuple[int, int]]:
    """`{a, b}` and `{a, ..., b}` ranges stated in backticks (Gymnasium's notation for discrete values)."""
    return [(int(a), int(b)) for a, b in re.findall(r"`\{(-?\d+), (?:\.\.\., )?(-?\d+)\}`", text)]


def discrete_range(space: spaces.Discrete) -> tuple[int, int]:
    return int(space.start), int(space.start + space.n - 1)


def check_discrete_statements(text: str, space: spaces.Discrete, role: str) -> None:
    shapes = re.findall(r"shape `?\(([\d, ]*)\)`?", text)
    assert not shapes, f"a discrete {role} is an int, the text gives it shape ({shapes[0]})"
    sets = value_sets(text)
    assert sets, f"the {role} values are never stated"
    assert all(s == discrete_range(space) for s in sets), f"{role} values {sets}, env has {discrete_range(space)}"
    for count in re.findall(r"(\d+) discrete (?:states|deterministic actions)", text):
        assert int(count) == space.n, f"text says {count} discrete values, env has {space.n}"
    if role == "action":
        listed = [int(k) for k in re.findall(r"^- (\d+): ", text, flags=re.MULTILINE)]
        listed += [int(row[0]) for row in first_num_table(text)[1] if row[0].isdigit()]
        assert sorted(listed) == list(range(space.n)), f"actions listed: {listed}, env has {space.n}"


def check_tuple_statements(text: str, space: spaces.Tuple, role: str) -> None:
    lengths = [int(a or b) for a, b in re.findall(r"(\d+)-tuple|tuple of (\d+)", text)]
    assert lengths and all(k == len(space.spaces) for k in lengths), f"{role} tuple length {lengths}"
    assert value_sets(text) == [discrete_range(s) for s in space.spaces], f"{role} element values"


def check_space_statements(text: str, space: spaces.Space, role: str) -> None:
    if isinstance(space, spaces.Box):
        check_box_statements(text, space, role)
    elif isinstance(space, spaces.Discrete):
        check_discrete_statements(text, space, role)
    elif isinstance(space, spaces.Tuple):
        check_tuple_statements(text, space, role)
    else:
        pytest.fail(f"no check for {space!r}")


def check_reward_formula(rewards: str, env) -> None:
    """MuJoCo: the documented total is made of the env's reward components, and adds up to the reward."""
    formula = re.search(r"\*\*\*reward\*\*\* \*=\* \*([^*]+)\*", rewards)
    assert formula, "no total reward formula"
    terms = re.findall(r"([+-]?)\s*([A-Za-z_]+|\d+(?:\.\d+)?)", formula[1])
    for _, term in terms:
        if not term[0].isdigit():
            assert term in REWARD_TERMS, f"the text names a reward term {term!r} the env does not report"
            assert f"- *{term}*" in rewards, f"reward term {term!r} is not explained"
    for reward, _, info in random_rollout(env, 5):
        total = 0.0
        for sign, term in terms:
            factor = -1.0 if sign == "-" else 1.0
            if term[0].isdigit():
                total += factor * float(term)
            else:
                key, info_sign = REWARD_TERMS[term]
                total += factor * info_sign * float(info[key])
        assert math.isclose(total, reward, rel_tol=1e-9, abs_tol=1e-9), f"formula gives {total}, env {reward}"
    documented = {REWARD_TERMS[t][0] for _, t in terms if not t[0].isdigit()}
    reported = {k for k in info if k.startswith("reward_") or k.endswith("_penalty")}
    assert documented == reported, f"documented terms {sorted(documented)}, env reports {sorted(reported)}"


def check_pendulum_reward(rewards: str, env) -> None:
    formula = re.search(r"r = -\(theta\^2 \+ ([\d.]+) \* theta_dt\^2 \+ ([\d.]+) \* torque\^2\)", rewards)
    assert formula, "no Pendulum reward formula"
    speed_weight, torque_weight = float(formula[1]), float(formula[2])
    env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(5):
        theta, theta_dt = env.unwrapped.state
        action = env.action_space.sample()
        _, reward, *_ = env.step(action)
        angle = (theta + np.pi) % (2 * np.pi) - np.pi
        expected = -(angle**2 + speed_weight * theta_dt**2 + torque_weight * float(action[0]) ** 2)
        assert math.isclose(reward, expected, rel_tol=1e-5, abs_tol=1e-6), f"formula gives {expected}, env {reward}"


def check_reward_values(rewards: str, env) -> None:
    """Discrete rewards: every reward the env gives is a value the text states."""
    stated = {to_float(x) for x in re.findall(NUMBER, rewards)}
    seen = {reward for reward, _, _ in random_rollout(env, 300)}
    assert seen <= stated, f"rewards {sorted(seen - stated)} occur but the text never states them"


def check_rewards(record: EnvRecord, text: str, env) -> None:
    rewards = section(text, "Rewards")
    if "***reward***" in rewards:
        check_reward_formula(rewards, env)
    elif record.env_id == "Pendulum-v1":
        check_pendulum_reward(rewards, env)
    else:
        check_reward_values(rewards, env)


def check_parameter_defaults(text: str, env) -> None:
    """Every "`name` (default is X)" names a parameter of the env and states its actual value."""
    unwrapped = env.unwrapped
    pattern = r"`(\w+)`\.?(?: (?:argument|parameter))? \(default (?:is|to) ([^()]*)\)"
    for name, value in re.findall(pattern, text):
        attribute = next((a for a in (f"_{name}", name) if hasattr(unwrapped, a)), None)
        assert attribute, f"the text gives a default for `{name}`, which the env does not have"
        stated = [to_float(x.strip()) for x in value.strip("[]").split(",")]
        actual = np.atleast_1d(np.asarray(getattr(unwrapped, attribute), dtype=float))
        assert np.allclose(stated, actual, rtol=1e-9), f"`{name}`: text says {value}, env has {actual.tolist()}"


def check_time_step(text: str, env) -> None:
    """MuJoCo: the stated frame time and `dt = frame_skip * frame time` are the env's."""
    unwrapped = env.unwrapped
    for skip, frame, dt in re.findall(r"dt = (\d+) \* (\d*\.\d+) = (\d*\.\d+)", text):
        assert int(skip) == unwrapped.frame_skip, f"frame skip {skip}, env has {unwrapped.frame_skip}"
        assert math.isclose(float(frame), unwrapped.model.opt.timestep), f"frame time {frame}"
        assert math.isclose(float(dt), unwrapped.dt), f"dt {dt}, env has {unwrapped.dt}"
    for frame in re.findall(r"(?:frametime`?,? which is|each frame lasting) (\d*\.\d+)", text):
        assert math.isclose(float(frame), unwrapped.model.opt.timestep), f"frame time {frame}"


def check_episode_end(record: EnvRecord, text: str, env) -> None:
    episode_end = section(text, "Episode End")
    assert episode_end.index("### Termination") < episode_end.index("### Truncation")
    termination = subsection(episode_end, "Termination")
    truncation = subsection(episode_end, "Truncation")
    assert [to_float(x) for x in re.findall(NUMBER, truncation)] == [record.episode_limit], (
        f"the truncation must state the CWMB limit {record.episode_limit} and nothing else"
    )
    lengths = [int(x) for x in re.findall(r"(\d+) (?:time ?steps|steps)", episode_end)]
    assert set(lengths) <= {record.episode_limit}, f"episode lengths {lengths}, CWMB limit {record.episode_limit}"
    assert "`done`" in episode_end and "termina" in episode_end and "never `done`" in episode_end
    never = "never terminates" in termination
    terminated = any(t for _, t, _ in random_rollout(env, 300))
    assert not (never and terminated), "the text says the env never terminates, but it did"
    if terminated:
        assert re.search(r"terminat|ends", termination), "the env terminates but no termination rule is given"


# -- tests over the 18 environments ---------------------------------------------------------------


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_sections_and_no_leftovers(record, rows):
    check_no_leftovers(rows[record.env_id]["description"])


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_space_statements_match_env(record, rows):
    text = rows[record.env_id]["description"]
    with made(record) as env:
        check_space_statements(section(text, "Action Space"), env.action_space, "action")
        check_space_statements(section(text, "Observation Space"), env.observation_space, "observation")


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_rewards_match_env(record, rows):
    text = rows[record.env_id]["description"]
    with made(record) as env:
        check_rewards(record, text, env)
        check_parameter_defaults(text, env)
        if record.family == "mujoco":
            check_time_step(text, env)


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_episode_end_matches_env(record, rows):
    with made(record) as env:
        check_episode_end(record, rows[record.env_id]["description"], env)


def assert_space_json(data: dict, space: spaces.Space) -> None:
    if isinstance(space, spaces.Discrete):
        assert data == {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    elif isinstance(space, spaces.Tuple):
        assert data["type"] == "Tuple" and len(data["spaces"]) == len(space.spaces)
        for item, subspace in zip(data["spaces"], space.spaces):
            assert_space_json(item, subspace)
    else:
        assert isinstance(space, spaces.Box)
        assert (data["type"], tuple(data["shape"]), data["dtype"]) == ("Box", space.shape, str(space.dtype))
        low = np.array([-np.inf if x is None else x for x in data["low"]], dtype=np.float64)
        high = np.array([np.inf if x is None else x for x in data["high"]], dtype=np.float64)
        np.testing.assert_array_equal(low, space.low.astype(np.float64).ravel())
        np.testing.assert_array_equal(high, space.high.astype(np.float64).ravel())


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_metadata_columns_match_env(record, rows):
    row = rows[record.env_id]
    with made(record) as env:
        assert_space_json(json.loads(row["action_space"]), env.action_space)
        assert_space_json(json.loads(row["observation_space"]), env.observation_space)
    assert row["paper_id"] == record.paper_id
    assert (row["action_kind"], row["planner"], row["observation_kind"]) == (
        record.action_kind, record.planner, record.observation_kind
    )
    assert row["episode_limit"] == record.episode_limit
    assert json.loads(row["make_kwargs"]) == record.make_kwargs
    assert (row["gymnasium_version"], row["mujoco_version"]) == (GYMNASIUM_VERSION, MUJOCO_VERSION)
    assert isinstance(json.loads(row["reference_returns"]), dict)


# -- the file ---------------------------------------------------------------------------------------


def test_rows_follow_the_registry(built):
    table = pq.read_table(built)
    assert table.column("env_id").to_pylist() == IDS
    assert table.schema.names == [
        "env_id", "paper_id", "description", "action_kind", "planner", "observation_kind", "action_space",
        "observation_space", "episode_limit", "make_kwargs", "gymnasium_version", "mujoco_version",
        "reference_returns",
    ]


def test_build_is_deterministic(built, tmp_path):
    again = descriptions.build_descriptions(tmp_path)
    assert again == descriptions.descriptions_path(tmp_path)
    assert again.read_bytes() == built.read_bytes()
    assert not list(tmp_path.rglob("*.tmp"))


def test_packaged_descriptions_are_up_to_date(built):
    packaged = descriptions.descriptions_path(DEFAULT_OUTPUT)
    if not packaged.exists():
        pytest.skip(f"{packaged} not built yet (python -m data_builders.descriptions)")
    assert packaged.read_bytes() == built.read_bytes(), "rebuild it: python -m data_builders.descriptions"


def test_other_simulator_versions_are_refused(monkeypatch):
    monkeypatch.setattr(descriptions, "MUJOCO_VERSION", "0.0.1")
    with pytest.raises(DatasetError, match=re.escape(f'pip install "gymnasium=={GYMNASIUM_VERSION}" "mujoco==0.0.1"')):
        descriptions.description_record(RECORDS[0])


# -- the checks can fail --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env_id", "check", "message"),
    [
        ("Pusher-v5", "spaces", "observation Box shape"),  # the docstring says (17,), the env observes 23
        ("Ant-v5", "spaces", "observation Box shape"),  # the docstring describes the contact forces (105,)
        ("Reacher-v5", "defaults", "reward_near_weight"),  # Reacher has no such weight
        ("Reacher-v5", "time step", "frame skip 5"),  # "dt = 5 * 0.01 = 0.02"
        ("Humanoid-v5", "time step", "frame time 0.001"),
        ("Walker2d-v5", "rewards", "'bonus'"),  # "healthy_reward bonus + ..."
        ("HumanoidStandup-v5", "rewards", "quad_impact_cost"),  # formula and bullet name the term differently
    ],
    ids=["Pusher-size", "Ant-size", "Reacher-weight", "Reacher-dt", "Humanoid-frametime", "Walker-terms",
         "Standup-terms"],
)
def test_checks_fail_on_uncorrected_docstrings(env_id, check, message, monkeypatch):
    """Without the builder's corrections, the checks above reject the raw docstrings' known errors."""
    monkeypatch.setattr(descriptions, "CORRECTIONS", {})
    record = ENVIRONMENTS[env_id]
    with made(record) as env:
        text = descriptions.describe(record, env)
        run = {
            "spaces": lambda: check_space_statements(section(text, "Observation Space"), env.observation_space,
                                                     "observation"),
            "defaults": lambda: check_parameter_defaults(text, env),
            "time step": lambda: check_time_step(text, env),
            "rewards": lambda: check_rewards(record, text, env),
        }[check]
        with pytest.raises(AssertionError, match=re.escape(message)):
            run()
