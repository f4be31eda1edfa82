"""Connects to 127.0.0.1 (port = the action) through libc, past the socket module's guard.

The reward is 1.0 if the connection was made. Only a network namespace stops this (root harness).
"""

import ctypes
import struct


class Environment:
    def set_state(self, state):
        self.state = state

    def step(self, action):
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.socket(2, 1, 0)  # AF_INET, SOCK_STREAM
        if fd < 0:
            return self.state, 0.0, False
        address = struct.pack("<H", 2) + struct.pack(">H", int(action)) + bytes([127, 0, 0, 1]) + b"\0" * 8
        connected = libc.connect(fd, ctypes.c_char_p(address), len(address)) == 0
        libc.close(fd)
        return self.state, float(connected), False
