"""A correct model that computes in a helper thread (threads must work under the seccomp filter)."""

import threading

import numpy as np


class Environment:
    def set_state(self, state):
        self.state = np.array(state)

    def step(self, action):
        out = []
        worker = threading.Thread(target=lambda: out.append(self.state + 1))
        worker.start()
        worker.join()
        return out[0], 1.0, False
