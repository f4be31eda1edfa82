"""Exact code world model of Gymnasium 1.4 `MountainCar-v0`.

State: [position in [-1.2, 0.6], velocity in [-0.07, 0.07]] (float32).
Actions: 0 accelerate left, 1 no push, 2 accelerate right.
velocity += (action - 1) * 0.001 - 0.0025 * cos(3 * position), clipped to +-0.07;
position += velocity, clipped to [-1.2, 0.6]; hitting the left wall with negative velocity stops
the car. Reward -1 per step. Terminates when position >= 0.5 (and velocity >= 0).
Computed in float64 from the float32 observation, returned as float32.
"""

import math

import numpy as np

MIN_POSITION, MAX_POSITION, MAX_SPEED = -1.2, 0.6, 0.07
GOAL_POSITION, GOAL_VELOCITY = 0.5, 0.0
FORCE, GRAVITY = 0.001, 0.0025


class Environment:
    def __init__(self):
        self.state = np.array([-0.5, 0.0])

    def set_state(self, state):
        self.state = np.asarray(state, dtype=np.float64).copy()

    def step(self, action):
        position, velocity = (float(v) for v in self.state)
        velocity += (int(action) - 1) * FORCE - GRAVITY * math.cos(3 * position)
        velocity = min(max(velocity, -MAX_SPEED), MAX_SPEED)
        position = min(max(position + velocity, MIN_POSITION), MAX_POSITION)
        if position == MIN_POSITION and velocity < 0:
            velocity = 0.0
        self.state = np.array([position, velocity])
        done = bool(position >= GOAL_POSITION and velocity >= GOAL_VELOCITY)
        return self.state.astype(np.float32), -1.0, done
