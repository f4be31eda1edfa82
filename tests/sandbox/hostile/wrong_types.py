"""Returns a string reward for action 0 and a non-bool done for action 1: category bad_output."""


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        if action == 0:
            return self.state, "1.0", False
        return self.state, 1.0, "no"
