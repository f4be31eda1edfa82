"""Returns one value too many in the next state: category bad_output."""

import numpy as np


class Environment:
    def set_state(self, state):
        self.state = np.asarray(state)

    def step(self, action):
        return np.append(self.state, 0.0), 1.0, False
