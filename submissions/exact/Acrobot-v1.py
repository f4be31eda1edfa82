"""Exact code world model of Gymnasium 1.4 `Acrobot-v1`.

Observation: [cos t1, sin t1, cos t2, sin t2, dt1, dt2] (float32); t1 is the first link's angle
from hanging down, t2 the second link's angle relative to the first. Actions 0/1/2 apply torque
-1/0/+1 at the joint between the links. Dynamics: the "book" equations (Sutton & Barto) with link
masses 1, lengths 1, centres of mass 0.5, moments of inertia 1, g = 9.8, integrated by one
classical RK4 step of dt = 0.2 s; angles are then wrapped to [-pi, pi] and velocities bounded to
+-4pi and +-9pi. Reward -1 per step, 0 on the terminating step; terminates when the free end is
higher than 1 above the pivot: -cos(t1) - cos(t1 + t2) > 1.
Angles are recovered with arctan2; computed in float64, returned as float32.
"""

import math

import numpy as np

DT = 0.2
M1 = M2 = 1.0
L1 = 1.0
LC1 = LC2 = 0.5
I1 = I2 = 1.0
G = 9.8
MAX_VEL_1, MAX_VEL_2 = 4 * math.pi, 9 * math.pi
TORQUES = [-1.0, 0.0, 1.0]


def derivatives(s, torque):
    theta1, theta2, dtheta1, dtheta2 = s
    d1 = M1 * LC1**2 + M2 * (L1**2 + LC2**2 + 2 * L1 * LC2 * math.cos(theta2)) + I1 + I2
    d2 = M2 * (LC2**2 + L1 * LC2 * math.cos(theta2)) + I2
    phi2 = M2 * LC2 * G * math.cos(theta1 + theta2 - math.pi / 2.0)
    phi1 = (
        -M2 * L1 * LC2 * dtheta2**2 * math.sin(theta2)
        - 2 * M2 * L1 * LC2 * dtheta2 * dtheta1 * math.sin(theta2)
        + (M1 * LC1 + M2 * L1) * G * math.cos(theta1 - math.pi / 2)
        + phi2
    )
    ddtheta2 = (torque + d2 / d1 * phi1 - M2 * L1 * LC2 * dtheta1**2 * math.sin(theta2) - phi2) / (
        M2 * LC2**2 + I2 - d2**2 / d1
    )
    ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return np.array([dtheta1, dtheta2, ddtheta1, ddtheta2])


def wrap(x, low, high):
    span = high - low
    while x > high:
        x -= span
    while x < low:
        x += span
    return x


class Environment:
    def __init__(self):
        self.state = np.zeros(4)

    def set_state(self, state):
        c1, s1, c2, s2, dtheta1, dtheta2 = np.asarray(state, dtype=np.float64)
        self.state = np.array([math.atan2(s1, c1), math.atan2(s2, c2), dtheta1, dtheta2])

    def step(self, action):
        torque = TORQUES[int(action)]
        s = self.state
        k1 = derivatives(s, torque)
        k2 = derivatives(s + DT / 2 * k1, torque)
        k3 = derivatives(s + DT / 2 * k2, torque)
        k4 = derivatives(s + DT * k3, torque)
        t1, t2, dt1, dt2 = s + DT / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        t1, t2 = wrap(t1, -math.pi, math.pi), wrap(t2, -math.pi, math.pi)
        dt1 = min(max(dt1, -MAX_VEL_1), MAX_VEL_1)
        dt2 = min(max(dt2, -MAX_VEL_2), MAX_VEL_2)
        self.state = np.array([t1, t2, dt1, dt2])
        done = bool(-math.cos(t1) - math.cos(t2 + t1) > 1.0)
        obs = np.array([math.cos(t1), math.sin(t1), math.cos(t2), math.sin(t2), dt1, dt2], dtype=np.float32)
        return obs, (0.0 if done else -1.0), done
