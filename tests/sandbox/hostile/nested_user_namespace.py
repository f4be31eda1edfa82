"""Escapes the scratch cap: a user namespace of its own, then a 1 GiB tmpfs mounted in it and filled.

The reward is the MiB written there (negative: the step that failed, -errno). Only refusing new
user namespaces stops it (bubblewrap's seccomp filter, and --disable-userns for ordinary users).
"""

import ctypes
import os

CLONE_NEWUSER, CLONE_NEWNS, PR_SET_DUMPABLE = 0x10000000, 0x00020000, 4


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # own /proc/self again after the harness's change of user
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
            return self.state, -float(ctypes.get_errno()), False
        for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
            try:
                with open(f"/proc/self/{name}", "w") as f:
                    f.write(text)
            except OSError:
                pass
        os.makedirs("big", exist_ok=True)
        if libc.mount(b"none", b"big", b"tmpfs", 0, b"size=1g") != 0:
            return self.state, -1000.0 - ctypes.get_errno(), False
        written = 0
        for n in range(200):
            try:
                with open(f"big/f{n}", "wb") as f:
                    f.write(b"x" * (1 << 20))
                written += 1
            except OSError:
                break
        return self.state, float(written), False
