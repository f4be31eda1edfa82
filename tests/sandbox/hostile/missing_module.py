"""Imports a module that is not installed: category import_error."""

import cwmb_no_such_module  # noqa: F401


class Environment:
    def set_state(self, state):
        pass

    def step(self, action):
        return 0, 0.0, False
