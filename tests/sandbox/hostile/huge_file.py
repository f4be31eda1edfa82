"""Writes an ever-growing file in its working directory: RLIMIT_FSIZE stops it (EFBIG, category exception)."""

import os


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        block = b"\0" * (1 << 20)
        with open("huge.bin", "wb") as f:
            for _ in range(10 * 1024):  # 10 GB
                f.write(block)
        return self.state, float(os.path.getsize("huge.bin")), False
