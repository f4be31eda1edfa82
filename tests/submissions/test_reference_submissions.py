"""The reference submissions: `submissions/exact` reproduces the real dynamics, `baseline-static` is static.

Each exact code world model is loaded in-process with importlib (the harness sandboxes it; here we
only check its numbers) and replayed on every transition of both splits: `set_state(obs)`, then
`step(action)` must give `next_obs` (allclose rtol=atol=1e-5; exact equality for integer states),
the reward and `terminated`. Blackjack is stochastic: the drawn card is fed from the data (it is
implied by the observed next state), so the rules are checked exactly; after a stick only what
the observation determines is asserted. Environments whose data is not built yet are skipped.
"""

from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from cwmb.dataset.load import SPLITS, load_transitions, split_file
from cwmb.registry import ENV_IDS, get_env

SUBMISSIONS = Path(__file__).resolve().parents[2] / "submissions"
EXACT = SUBMISSIONS / "exact"
STATIC = SUBMISSIONS / "baseline-static"
EXACT_ENV_IDS = ("Blackjack-v1", "CliffWalking-v1", "Taxi-v4", "CartPole-v1", "MountainCar-v0", "Acrobot-v1", "Pendulum-v1")
DETERMINISTIC = tuple(e for e in EXACT_ENV_IDS if e != "Blackjack-v1")
FORBIDDEN = {"gymnasium", "gym", "mujoco"}
TOL = dict(rtol=1e-5, atol=1e-5)


def load_cwm(path: Path):
    spec = importlib.util.spec_from_file_location(f"cwm_{path.parent.name}_{path.stem}".replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Environment()


def transitions_or_skip(env_id: str, split: str):
    if not split_file(env_id, split).exists():
        pytest.skip(f"{env_id} {split} data not built yet")
    return load_transitions(env_id, split)


def same_state(env_id: str, predicted, expected) -> bool:
    if get_env(env_id).exact_state:
        return type(predicted) is type(expected) and predicted == expected
    return np.asarray(predicted).shape == expected.shape and np.allclose(predicted, expected, **TOL)


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


# ----- exact models -------------------------------------------------------------------------------


@pytest.mark.parametrize("env_id", EXACT_ENV_IDS, ids=EXACT_ENV_IDS)
def test_exact_file_does_not_import_the_simulator(env_id):
    path = EXACT / f"{env_id}.py"
    assert not imported_modules(path) & FORBIDDEN, f"{path.name} imports {imported_modules(path) & FORBIDDEN}"
    assert ast.get_docstring(ast.parse(path.read_text())), f"{path.name} has no module docstring"


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("env_id", DETERMINISTIC, ids=DETERMINISTIC)
def test_exact_model_reproduces_every_transition(env_id, split):
    data = transitions_or_skip(env_id, split)
    env = load_cwm(EXACT / f"{env_id}.py")
    wrong = []
    for i in range(len(data)):
        env.set_state(data.obs[i])
        next_state, reward, done = env.step(data.action[i])
        ok = (
            same_state(env_id, next_state, data.next_obs[i])
            and np.isclose(reward, data.reward[i], **TOL)
            and bool(done) == bool(data.terminated[i])
        )
        if not ok:
            wrong.append((i, data.obs[i], data.action[i], next_state, data.next_obs[i], reward, data.reward[i], done))
    assert not wrong, f"{len(wrong)}/{len(data)} transitions differ; first: {wrong[:3]}"


def _drawn_card(obs, next_obs) -> int:
    """The card a hit drew, implied by the player's sums (a usable ace counts 10 extra)."""
    return (next_obs[0] - 10 * next_obs[2]) - (obs[0] - 10 * obs[2])


@pytest.mark.parametrize("split", SPLITS)
def test_blackjack_rules(split, capsys):
    data = transitions_or_skip("Blackjack-v1", split)
    sampled = load_cwm(EXACT / "Blackjack-v1.py")  # draws its own cards (seeded)
    fed = load_cwm(EXACT / "Blackjack-v1.py")  # draws the card the data implies
    matches = 0
    for i in range(len(data)):
        obs, action, next_obs = data.obs[i], data.action[i], data.next_obs[i]
        reward, terminated = data.reward[i], bool(data.terminated[i])
        sampled.set_state(obs)
        s, r, d = sampled.step(action)
        matches += s == next_obs and r == reward and d == terminated
        assert next_obs[1] == obs[1], "the dealer's showing card never changes"
        if action == 1:  # hit: the rules are deterministic once the card is known
            card = _drawn_card(obs, next_obs)
            assert 1 <= card <= 10, (obs, next_obs)
            fed.draw = lambda card=card: card
            fed.set_state(obs)
            assert fed.step(action) == (next_obs, reward, terminated), (obs, next_obs, reward, terminated)
            assert terminated == (next_obs[0] > 21) and reward == (-1.0 if terminated else 0.0)
        else:  # stick: state and done are determined; the reward depends on the dealer's unseen cards
            assert next_obs == obs and terminated
            player = obs[0] if obs[0] <= 21 else 0
            possible = {float(np.sign(player - dealer)) for dealer in (0, 17, 18, 19, 20, 21)}
            assert reward in possible, (obs, reward)
            assert s == next_obs and d and r in possible
    with capsys.disabled():
        print(f"\nBlackjack-v1 {split}: sampled model matches {matches}/{len(data)} transitions exactly")


# ----- static baseline -----------------------------------------------------------------------------


def test_static_baseline_covers_every_environment():
    assert sorted(p.stem for p in STATIC.glob("*.py")) == sorted(ENV_IDS)
    assert sorted(p.stem for p in EXACT.glob("*.py")) == sorted(EXACT_ENV_IDS)


@pytest.mark.parametrize("env_id", ENV_IDS, ids=ENV_IDS)
def test_static_baseline_returns_its_input(env_id):
    path = STATIC / f"{env_id}.py"
    assert not imported_modules(path) & FORBIDDEN
    record = get_env(env_id)
    if split_file(env_id, "train").exists():
        data = load_transitions(env_id, "train")
        cases = list(zip(data.obs[:20], data.action[:20]))
    else:  # a native-typed state and action without the data
        state = {"int": 7, "int_tuple": (14, 3, 0), "vector": np.linspace(-1, 1, 5).astype(record.observation_dtype)}
        action = 1 if record.action_kind == "discrete" else np.zeros(2)
        cases = [(state[record.observation_kind], action)]
    env = load_cwm(path)
    for state, action in cases:
        env.set_state(state)
        next_state, reward, done = env.step(action)
        assert type(next_state) is type(state)
        if isinstance(state, np.ndarray):
            assert next_state.dtype == state.dtype and np.array_equal(next_state, state)
            assert next_state is not state, "the returned array must not alias the input"
        else:
            assert next_state == state
        assert reward == 0 and done is False


@pytest.mark.parametrize("folder", ["exact", "baseline-static"])
def test_submission_json(folder):
    meta = json.loads((SUBMISSIONS / folder / "submission.json").read_text())
    assert set(meta) == {"name", "method", "model", "llm_calls", "seed", "url", "description"}
    assert meta["name"] == folder and meta["model"] is None and meta["llm_calls"] == 0
    assert meta["seed"] is None and meta["url"] is None and meta["description"]
