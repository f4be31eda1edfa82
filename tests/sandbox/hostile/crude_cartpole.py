"""The honest version of the peeking models: the state does not change, reward 1, never done."""

import numpy as np


class Environment:
    def set_state(self, state):
        self.state = np.array(state)

    def step(self, action):
        return self.state, 1.0, False
