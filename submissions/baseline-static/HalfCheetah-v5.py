"""Static baseline for `HalfCheetah-v5`: the state never changes, the reward is 0, never done.

The trivial lower reference of CWMB: `step` returns the state given to `set_state` unchanged, in
its native type (a numpy float64 array, copied), whatever the action.
"""

import numpy as np


class Environment:
    def __init__(self):
        self.state = None

    def set_state(self, state):
        self.state = state

    def step(self, action):
        state = self.state.copy() if isinstance(self.state, np.ndarray) else self.state
        return state, 0.0, False
