"""What a planner plans with: the real simulator or a code world model, behind one interface.

A planning model has a state it can save and restore and a `step`. Planners never look inside the
state: for the real environment it is the simulator state vector (`cwmb.simulator.Simulator`), for a
code world model it is the observation the model was last set to or produced.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class PlanningModel:
    """Base class of the models MCTS and CEM plan with."""

    def get_state(self) -> Any:
        raise NotImplementedError

    def set_state(self, state: Any) -> None:
        raise NotImplementedError

    def step(self, action: Any) -> tuple[Any, float, bool]:
        """Advance one step: `(next_observation, reward, terminated)`."""
        raise NotImplementedError

    def rollout_returns(self, state: Any, action_sequences: np.ndarray) -> np.ndarray:
        """Undiscounted return of each action sequence played from `state`, stopping at termination.

        `action_sequences` has shape (n_sequences, horizon, *action_shape). Models that run
        elsewhere (a sandboxed world model) override this to evaluate the whole batch in one call.
        """
        returns = np.zeros(len(action_sequences))
        for i, sequence in enumerate(action_sequences):
            self.set_state(state)
            for action in sequence:
                _, reward, terminated = self.step(action)
                returns[i] += reward
                if terminated:
                    break
        return returns
