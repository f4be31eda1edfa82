"""Writes 1 MiB files into every scratch place it can find until the writes fail; the reward is
the MiB written. Files are named `cwmb-fill-<marker>-N` (the test writes a marker in)."""

import os
import tempfile

MARKER = "unset"


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        chunk = b"x" * (1 << 20)
        written = 0
        for folder in ("/tmp", "/dev/shm", os.getcwd(), os.environ.get("HOME", "/tmp"), tempfile.gettempdir()):
            for n in range(2000):
                try:
                    with open(os.path.join(folder, f"cwmb-fill-{MARKER}-{n}"), "xb") as f:
                        f.write(chunk)
                    written += 1
                except FileExistsError:
                    continue
                except OSError:
                    break
        return self.state, float(written), False
