"""The real environment behind a save/restore interface, for collection, replay and planning.

`Simulator(record)` wraps the *unwrapped* Gymnasium env (episode limits are counted by the caller)
and adds `get_state()` / `set_state(state)`: a flat float64 vector that puts the env back exactly.

- toy text (Taxi, CliffWalking): `[s]`, the discrete state.
- Blackjack: `[len(player), *player, len(dealer), *dealer, *cards_drawn_by_the_step]`. The stored
  dataset state ends with the cards the recorded step drew, so replay reproduces it exactly; a state
  without them draws from the simulator's own generator (planners never share the real env's RNG).
- classic control: the env's `state` attribute (CartPole, MountainCar, Acrobot, Pendulum).
- MuJoCo: `mj_getState(..., mjSTATE_INTEGRATION)` (physics, controls, warm start), restored with
  `mj_setState` + `mj_forward`. For Ant and Humanoid, `step` also calls `mj_forward` afterwards, so
  that the quantities their v5 rewards read *before* stepping (Ant's torso `xpos`, Humanoid's centre
  of mass) are functions of the state rather than of the previous step's last substep. This changes no trajectory (the
  state is untouched); it makes Ant/Humanoid rewards differ from a bare `env.step` by the one-substep
  lag (about 1e-4) and makes every stored transition replayable exactly.

No deep copies of env objects anywhere: restoring a state is a few array writes.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from cwmb.planners.model import PlanningModel
from cwmb.registry import EnvRecord


# Envs whose v5 reward reads derived positions before `mj_step`; the others read qpos or post-step values.
_FORWARD_AFTER_STEP = frozenset({"Ant-v5", "Humanoid-v5"})

#: Gymnasium's own half_cheetah.xml uses `settotalmass`, which MuJoCo 4 still applies but calls
#: deprecated. It is not ours to fix and says nothing about a run, so it is not shown.
_IGNORED_MUJOCO_WARNINGS = ("compiler attribute 'settotalmass' is deprecated",)


class MuJoCoWarning(UserWarning):
    """A warning raised by MuJoCo's C library (e.g. an unstable simulation), routed to Python."""


def _warn_from_mujoco(message: str) -> None:
    if not message.startswith(_IGNORED_MUJOCO_WARNINGS):
        warnings.warn(f"MuJoCo: {message}", MuJoCoWarning, stacklevel=2)


def route_mujoco_warnings() -> None:
    """Send MuJoCo's warnings to Python's `warnings` instead of its default handler, which prints
    them to stdout and appends them to `MUJOCO_LOG.TXT` in the user's current directory."""
    import mujoco

    if mujoco.get_mju_user_warning() is not _warn_from_mujoco:
        mujoco.set_mju_user_warning(_warn_from_mujoco)


class Simulator(PlanningModel):
    """A real environment with exact state save/restore; also a planning model (the oracle)."""

    def __init__(self, record: EnvRecord, seed: int | None = None):
        self.record = record
        if record.family == "mujoco":
            route_mujoco_warnings()  # before make(): compiling the model is what warns
        self.env = record.make()
        self.unwrapped = self.env.unwrapped
        # The simulator's own generator; reseeded by reset(seed=...), never shared with another env.
        self.unwrapped.reset(seed=seed)
        self._forced_cards: list[int] = []
        self.last_drawn_cards: list[int] = []
        self._forward_after_step = record.env_id in _FORWARD_AFTER_STEP
        if record.family == "mujoco":
            import mujoco

            self._mujoco = mujoco
            self._state_kind = mujoco.mjtState.mjSTATE_INTEGRATION
            self._state_size = mujoco.mj_stateSize(self.unwrapped.model, self._state_kind)

    # -- episode control ---------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> Any:
        """Reset the real env (its own reset distribution) and return the observation."""
        obs, _ = self.unwrapped.reset(seed=seed)
        return obs

    def step(self, action: Any) -> tuple[Any, float, bool]:
        """One real step: `(next_obs, reward, terminated)`; truncation is the caller's business."""
        family = self.record.family
        if family == "blackjack":
            return self._blackjack_step(action)
        obs, reward, terminated, _, _ = self.unwrapped.step(action)
        if self._forward_after_step:
            self._mujoco.mj_forward(self.unwrapped.model, self.unwrapped.data)
        return obs, float(reward), bool(terminated)

    # -- state save/restore ------------------------------------------------------------------
    def get_state(self) -> np.ndarray:
        u, family = self.unwrapped, self.record.family
        if family == "toy_text":
            return np.array([u.s], dtype=np.float64)
        if family == "blackjack":
            return np.array([len(u.player), *u.player, len(u.dealer), *u.dealer], dtype=np.float64)
        if family == "classic_control":
            return np.array(u.state, dtype=np.float64)
        state = np.empty(self._state_size, dtype=np.float64)
        self._mujoco.mj_getState(u.model, u.data, state, self._state_kind)
        return state

    def set_state(self, state: Any) -> None:
        u, family = self.unwrapped, self.record.family
        state = np.asarray(state, dtype=np.float64)
        if family == "toy_text":
            u.s = int(state[0])
        elif family == "blackjack":
            n_player = int(state[0])
            u.player = [int(c) for c in state[1 : 1 + n_player]]
            n_dealer = int(state[1 + n_player])
            u.dealer = [int(c) for c in state[2 + n_player : 2 + n_player + n_dealer]]
            self._forced_cards = [int(c) for c in state[2 + n_player + n_dealer :]]
        elif family == "classic_control":
            u.state = state.copy()
            if hasattr(u, "steps_beyond_terminated"):
                u.steps_beyond_terminated = None
        else:
            if state.shape != (self._state_size,):
                raise ValueError(f"{self.record.env_id} state must have {self._state_size} values, got {state.shape}")
            self._mujoco.mj_setState(u.model, u.data, state, self._state_kind)
            self._mujoco.mj_forward(u.model, u.data)

    def observe(self) -> Any:
        """The observation of the current state, as the env would return it."""
        u = self.unwrapped
        if self.record.family == "toy_text":
            return int(u.s)
        # Envs name their observation builder differently; CartPole and MountainCar have none.
        for builder in ("_get_obs", "_get_ob"):
            if hasattr(u, builder):
                return getattr(u, builder)()
        return np.array(u.state, dtype=np.float32)

    # -- Blackjack: record (collection) or force (replay) the cards a step draws ---------------
    def _blackjack_step(self, action: Any) -> tuple[Any, float, bool]:
        u = self.unwrapped
        generator = u.np_random
        deck = _CardSource(generator, self._forced_cards)
        u.np_random = deck
        try:
            obs, reward, terminated, _, _ = u.step(int(action))
        finally:
            u.np_random = generator
        self._forced_cards = []
        self.last_drawn_cards = deck.drawn
        return tuple(int(x) for x in obs), float(reward), bool(terminated)


class _CardSource:
    """Stands in for Blackjack's generator: replays forced cards first, then draws, recording all."""

    def __init__(self, generator: np.random.Generator, forced: list[int]):
        self._generator = generator
        self._forced = list(forced)
        self.drawn: list[int] = []

    def choice(self, deck):
        card = self._forced.pop(0) if self._forced else int(self._generator.choice(deck))
        self.drawn.append(card)
        return card
