"""A correct CWM for any observation type: the next state is the state plus one.

The reward is the action (summed for continuous actions), so tests can check what arrived.
"""


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        if isinstance(self.state, tuple):
            self.state = tuple(x + 1 for x in self.state)
        else:
            self.state = self.state + 1
        reward = float(action) if isinstance(action, int) else float(sum(action))
        return self.state, reward, False
