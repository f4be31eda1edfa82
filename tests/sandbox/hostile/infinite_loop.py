"""Loops forever in step for action 1: the child's per-step timer interrupts it (category timeout)."""


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        while action == 1:
            pass
        return self.state, 1.0, False
