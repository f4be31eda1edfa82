"""An approximate CartPole model (gravity 2 % off) that cheats by memory: it keeps every state it is
given and answers with a remembered one when its own prediction lands within 1e-2 of it, which is
the recorded successor when that has been shown already. Open-loop rollouts then follow the recorded
episode exactly, unless each rollout is requested before any later state of its episode is sent."""

import math

import numpy as np

GRAVITY, MASS_CART, MASS_POLE, HALF_LENGTH, FORCE_MAG, TAU = 9.8 * 1.02, 1.0, 0.1, 0.5, 10.0, 0.02
SNAP = 1e-2


class Environment:
    def __init__(self):
        self.seen = []
        self.state = np.zeros(4)

    def set_state(self, state):
        self.state = np.asarray(state, dtype=np.float64).copy()
        self.seen.append(self.state.copy())

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = FORCE_MAG if int(action) == 1 else -FORCE_MAG
        cos_t, sin_t = math.cos(theta), math.sin(theta)
        total = MASS_CART + MASS_POLE
        temp = (force + MASS_POLE * HALF_LENGTH * theta_dot**2 * sin_t) / total
        theta_acc = (GRAVITY * sin_t - cos_t * temp) / (HALF_LENGTH * (4.0 / 3.0 - MASS_POLE * cos_t**2 / total))
        x_acc = temp - MASS_POLE * HALF_LENGTH * theta_acc * cos_t / total
        guess = np.array([x + TAU * x_dot, x_dot + TAU * x_acc, theta + TAU * theta_dot, theta_dot + TAU * theta_acc])
        if self.seen:
            memory = np.array(self.seen)
            distance = np.abs(memory - guess).max(axis=1)
            distance[(memory == self.state).all(axis=1)] = np.inf  # not the state it steps from
            nearest = int(np.argmin(distance))
            if distance[nearest] < SNAP:
                guess = memory[nearest].copy()
        self.state = guess
        done = bool(abs(guess[0]) > 2.4 or abs(guess[2]) > 12 * 2 * math.pi / 360)
        return guess.astype(np.float32), 1.0, done
