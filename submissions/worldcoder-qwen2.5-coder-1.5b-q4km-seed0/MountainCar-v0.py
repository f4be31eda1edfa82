# Code world model for MountainCar-v0, written by cwmb-solve (worldcoder, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 1.0000 after 3 of 10 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the environment state
        self.state = np.random.uniform(-0.6, -0.4)

    def set_state(self, state):
        # Ensure the state is within the valid range
        if state[0] < -1.2 or state[0] > 0.6:
            raise ValueError("Position out of bounds")
        self.state = state

    def step(self, action):
        force = 0.001
        gravity = 0.0025

        # Calculate the velocity for the next time step
        velocity_next = self.state[1] + (action - 1) * force - np.cos(3 * self.state[0]) * gravity

        # Clip the velocity to within bounds
        if velocity_next < -0.07:
            velocity_next = -0.07
        elif velocity_next > 0.07:
            velocity_next = 0.07

        # Calculate the position for the next time step
        position_next = self.state[0] + velocity_next

        # Clip the position to within bounds
        if position_next < -1.2:
            position_next = -1.2
        elif position_next > 0.6:
            position_next = 0.6

        # Check for collisions at the ends of the track
        if position_next <= -1.2 or position_next >= 0.6:
            velocity_next = 0

        # Update the state
        self.state = np.array([position_next, velocity_next])

        # Calculate the reward
        if position_next >= 0.5:
            reward = -1
            done = True
        else:
            reward = -1
            done = False

        return self.state, reward, done
