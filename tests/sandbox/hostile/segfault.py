"""Dereferences a null pointer through ctypes for action 1: SIGSEGV (category crash), then restart."""

import ctypes


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        if action == 1:
            ctypes.string_at(0)
        return self.state, 1.0, False
