# Code world model for Pendulum-v1, written by cwmb-solve (zero-shot, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.0000 after 1 of 1 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the pendulum to a random angle and angular velocity in [-pi, pi] and [-1, 1], respectively.
        self.state = np.random.uniform(-np.pi, np.pi, size=3)

        # Set initial position based on state
        self.x_pos = self.state[0]
        self.y_pos = self.state[1]

    def set_state(self, state):
        # Set the pendulum to the given observed state.
        self.state = state.copy()

        # Update position based on new state
        self.x_pos = self.state[0]
        self.y_pos = self.state[1]

    def step(self, action):
        # Apply an action from the current state and update position.

        # Calculate torque applied to pendulum (CWMB: positive counter-clockwise)
        tau = action[0] * 10.0

        # Calculate new velocity of pendulum
        angular_velocity_new = self.state[2] + tau / 49.0  # assuming mass=1 and length=1 for simplicity

        # Update position based on angular velocity
        if angular_velocity_new > 0:
            self.x_pos += np.cos(np.pi - angular_velocity_new)
            self.y_pos += np.sin(np.pi - angular_velocity_new)
        elif angular_velocity_new < 0:
            self.x_pos += np.cos(angular_velocity_new)
            self.y_pos += np.sin(angular_velocity_new)

        # Normalize position to [-1, 1] and angular velocity to [-8, 8]
        x_position = self.x_pos / (2 * np.pi) - 1
        y_position = self.y_pos / (2 * np.pi) - 1
        angular_velocity_normalized = angular_velocity_new / (np.pi * 2)

        # Calculate reward based on new state
        reward = -(angular_velocity_normalized**2 + 0.1 * angular_velocity_new**2 + 0.001 * tau**2)

        # Set the updated state
        self.state = np.array([x_position, y_position, angular_velocity_normalized])

        # Check if episode ends based on time limit or reaching upright position
        done = False
        if len(self.state) == 3 or abs(angular_velocity_normalized) > np.pi/2:
            done = True

        return self.state, reward, done
