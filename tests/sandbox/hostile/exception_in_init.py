"""Raises while the Environment is created: a load-time exception, reported once."""


class Environment:
    def __init__(self):
        self.table = {}["missing"]

    def set_state(self, state):
        pass

    def step(self, action):
        return 0, 0.0, False
