"""Looks for the project's dataset files; the reward counts the entries it could list.

`DATA_DIR` is the worst case, a submission that knows the absolute path (the test writes the real
one in). Also tries the harness package and the parent process's working directory.
"""

import importlib
import os

DATA_DIR = "/work/main/cwmb/data"


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        found = 0
        try:
            cwmb = importlib.import_module("cw" + "mb")  # past the static scan; the import hook refuses it
            found += len(os.listdir(os.path.join(os.path.dirname(cwmb.__file__), "data")))
        except ImportError:
            pass
        for folder in (DATA_DIR, f"/proc/{os.getppid()}/cwd/cwmb/data", "cwmb/data"):
            try:
                found += len(os.listdir(folder))
            except OSError:
                pass
        return self.state, float(found), False
