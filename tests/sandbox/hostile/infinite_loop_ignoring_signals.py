"""Loops forever with the timer signal ignored: only the parent's deadline can stop it (kill, timeout)."""

import signal


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        if action == 1:
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            while True:
                pass
        return self.state, 1.0, False
