"""Checks whether it could signal the harness (signal 0 sends nothing): reward 1.0 if allowed."""

import os


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        try:
            os.kill(os.getppid(), 0)
            allowed = 1.0
        except PermissionError:
            allowed = 0.0
        return self.state, allowed, False
