"""Tries to fork 50 times (bounded: a safe stand-in for a fork bomb); the reward counts successes.

Each child sleeps 2 s and exits without doing anything else. With RLIMIT_NPROC enforced, forks
fail past the limit; the harness kills the worker's whole process group when it closes.
"""

import os
import time


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        forked = 0
        for _ in range(50):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(2)
                os._exit(0)
            forked += 1
        return self.state, float(forked), False
