"""Prints 8 MB per step: the output is captured and truncated, the predictions are still right."""


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        for _ in range(8):
            print("x" * (1 << 20))
        return self.state, 1.0, False
