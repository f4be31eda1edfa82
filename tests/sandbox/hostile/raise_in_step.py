"""Raises in step for action 1 only: those transitions fail (category exception), the rest go on."""


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        if action == 1:
            raise ValueError("cannot push right")
        return self.state, 1.0, False
