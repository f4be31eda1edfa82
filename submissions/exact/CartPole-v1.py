"""Exact code world model of Gymnasium 1.4 `CartPole-v1`.

State: [cart position x, cart velocity, pole angle theta (rad), pole angular velocity] (float32).
Action 0 pushes the cart left with 10 N, action 1 right. Physics (Florian 2007, as in Gymnasium):
gravity 9.8, cart mass 1.0, pole mass 0.1, pole half-length 0.5, explicit Euler with tau = 0.02 s.
Reward +1 every step (including the terminating one). The episode terminates when |x| > 2.4 or
|theta| > 12 degrees. Computed in float64 from the float32 observation, returned as float32.
"""

import math

import numpy as np

GRAVITY, MASS_CART, MASS_POLE, HALF_LENGTH = 9.8, 1.0, 0.1, 0.5
TOTAL_MASS = MASS_CART + MASS_POLE
POLEMASS_LENGTH = MASS_POLE * HALF_LENGTH
FORCE_MAG, TAU = 10.0, 0.02
THETA_LIMIT = 12 * 2 * math.pi / 360
X_LIMIT = 2.4


class Environment:
    def __init__(self):
        self.state = np.zeros(4)

    def set_state(self, state):
        self.state = np.asarray(state, dtype=np.float64).copy()

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = FORCE_MAG if int(action) == 1 else -FORCE_MAG
        cos_t, sin_t = math.cos(theta), math.sin(theta)
        temp = (force + POLEMASS_LENGTH * theta_dot**2 * sin_t) / TOTAL_MASS
        theta_acc = (GRAVITY * sin_t - cos_t * temp) / (
            HALF_LENGTH * (4.0 / 3.0 - MASS_POLE * cos_t**2 / TOTAL_MASS)
        )
        x_acc = temp - POLEMASS_LENGTH * theta_acc * cos_t / TOTAL_MASS
        x, x_dot = x + TAU * x_dot, x_dot + TAU * x_acc
        theta, theta_dot = theta + TAU * theta_dot, theta_dot + TAU * theta_acc
        self.state = np.array([x, x_dot, theta, theta_dot])
        done = bool(abs(x) > X_LIMIT or abs(theta) > THETA_LIMIT)
        return self.state.astype(np.float32), 1.0, done
