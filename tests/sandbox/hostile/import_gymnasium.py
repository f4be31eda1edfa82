"""Steps the real simulator instead of modelling it: category forbidden_import (line 4)."""

import numpy as np
import gymnasium as gym


class Environment:
    def __init__(self):
        self.env = gym.make("CartPole-v1").unwrapped
        self.env.reset()

    def set_state(self, state):
        self.env.state = np.asarray(state, dtype=np.float64)

    def step(self, action):
        obs, reward, terminated, _, _ = self.env.step(action)
        return obs, reward, terminated
