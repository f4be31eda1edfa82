"""Checks whether it could signal the harness, whose pid is the action (signal 0 sends nothing):
reward 1.0 if allowed. Under bubblewrap the harness is not even in the worker's PID namespace."""

import os


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        try:
            os.kill(int(action), 0)
            allowed = 1.0
        except (PermissionError, ProcessLookupError):
            allowed = 0.0
        return self.state, allowed, False
