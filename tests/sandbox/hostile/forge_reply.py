"""Writes garbage into every pipe it can find, the reply pipe included: the harness must refuse the
malformed message (category crash) and carry on."""

import os
import stat


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        if action == 1:
            for fd in range(3, 64):
                try:
                    if stat.S_ISFIFO(os.fstat(fd).st_mode):
                        os.write(fd, b"\xff" * 64)
                except OSError:
                    pass
        return self.state, 1.0, False
