"""Writes garbage into every pipe it can find, the reply pipe included: the harness must refuse the
malformed message (category crash) and carry on.

It then waits, so that the harness notices while this step still runs: a malformed message is
charged to the transition running when it is read, which for a step that went on would be a later one.
"""

import os
import stat
import time


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
            time.sleep(5)
        return self.state, 1.0, False
