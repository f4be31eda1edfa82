"""Exact code world model of Gymnasium 1.4 `Pendulum-v1` (g = 10).

State: [cos(theta), sin(theta), theta_dot] (float32), theta = 0 upright. Action: torque, shape (1,),
clipped to [-2, 2]. Dynamics (m = l = 1, dt = 0.05):
theta_dot' = clip(theta_dot + (3g/2 sin(theta) + 3u) dt, -8, 8); theta' = theta + theta_dot' dt.
Reward = -(angle_normalize(theta)^2 + 0.1 theta_dot^2 + 0.001 u^2), computed on the state before
the step. Never terminates (episodes only end by the time limit).
theta is recovered with arctan2 from the observation; computed in float64, returned as float32.
"""

import math

import numpy as np

G, MASS, LENGTH, DT = 10.0, 1.0, 1.0, 0.05
MAX_SPEED, MAX_TORQUE = 8.0, 2.0


def angle_normalize(x):
    return ((x + math.pi) % (2 * math.pi)) - math.pi


class Environment:
    def __init__(self):
        self.theta, self.theta_dot = math.pi, 0.0

    def set_state(self, state):
        cos_t, sin_t, theta_dot = (float(v) for v in np.asarray(state, dtype=np.float64))
        self.theta, self.theta_dot = math.atan2(sin_t, cos_t), theta_dot

    def step(self, action):
        u = min(max(float(np.asarray(action, dtype=np.float64).reshape(-1)[0]), -MAX_TORQUE), MAX_TORQUE)
        th, thdot = self.theta, self.theta_dot
        cost = angle_normalize(th) ** 2 + 0.1 * thdot**2 + 0.001 * u**2
        thdot = thdot + (3 * G / (2 * LENGTH) * math.sin(th) + 3.0 / (MASS * LENGTH**2) * u) * DT
        thdot = min(max(thdot, -MAX_SPEED), MAX_SPEED)
        self.theta, self.theta_dot = th + thdot * DT, thdot
        obs = np.array([math.cos(self.theta), math.sin(self.theta), self.theta_dot], dtype=np.float32)
        return obs, -cost, False
