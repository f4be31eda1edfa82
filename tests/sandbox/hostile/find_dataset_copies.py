"""Looks for copies of the dataset and other answers on the machine; the reward counts the entries
it could list or read. The test writes the candidate paths into `CANDIDATES`."""

import os

CANDIDATES = []


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        found = 0
        for path in CANDIDATES:
            try:
                if os.path.isdir(path):
                    found += len(os.listdir(path))
                else:
                    with open(path, "rb") as f:
                        found += len(f.read(16)) > 0
            except OSError:
                pass
        return self.state, float(found), False
