"""Allocates 10 GB in step: refused by the address-space limit (category memory)."""


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        hog = bytearray(10 * 1024**3)
        return self.state, float(len(hog)), False
