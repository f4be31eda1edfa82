"""Returns a fractional next state for an env with integer states (Taxi): category bad_output."""


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        return self.state + 0.5, 0.0, False
