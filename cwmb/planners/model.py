"""What a planner plans with: the real simulator or a code world model, behind one interface.

A planning model has a state it can save and restore and a `step`. Planners never look inside the
state: for the real environment it is the simulator state vector (`cwmb.simulator.Simulator`), for a
code world model it is the observation the model was last set to or produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Playout:
    """What `PlanningModel.play` returns."""

    rewards: np.ndarray
    """Reward of each step played, up to and including a terminating step."""
    terminated: bool
    """Whether the last step played terminated the episode."""
    state_after: Any
    """Model state after `keep_state_after` steps (None if that many steps were not played)."""


class PlanningModel:
    """Base class of the models MCTS and CEM plan with."""

    def get_state(self) -> Any:
        raise NotImplementedError

    def set_state(self, state: Any) -> None:
        raise NotImplementedError

    def step(self, action: Any) -> tuple[Any, float, bool]:
        """Advance one step: `(next_observation, reward, terminated)`."""
        raise NotImplementedError

    def play(self, state: Any, actions: Any, keep_state_after: int = 0) -> Playout:
        """Play `actions` from `state` until they run out or the episode terminates.

        MCTS expands a node and rolls out from it with one call; models that run elsewhere (a
        sandboxed world model) override this so that the call is one message, not one per step.
        """
        self.set_state(state)
        rewards: list[float] = []
        state_after, terminated = None, False
        for t, action in enumerate(actions):
            _, reward, terminated = self.step(action)
            rewards.append(reward)
            if t + 1 == keep_state_after:
                state_after = self.get_state()
            if terminated:
                break
        return Playout(np.asarray(rewards, dtype=np.float64), terminated, state_after)

    def rollout_returns(self, state: Any, action_sequences: np.ndarray) -> np.ndarray:
        """Undiscounted return of each action sequence played from `state`, stopping at termination.

        `action_sequences` has shape (n_sequences, horizon, *action_shape). Models that run
        elsewhere (a sandboxed world model) override this to evaluate the whole batch in one call.
        """
        returns = np.zeros(len(action_sequences))
        for i, sequence in enumerate(action_sequences):
            for reward in self.play(state, sequence).rewards:  # summed in step order, reproducibly
                returns[i] += reward
        return returns
