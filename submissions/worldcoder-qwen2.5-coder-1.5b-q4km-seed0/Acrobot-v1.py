# Code world model for Acrobot-v1, written by cwmb-solve (worldcoder, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.3459 after 10 of 10 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the environment state
        self.state = np.random.uniform(-0.1, 0.1, size=(6,))
        self.done = False
        self.episode_steps = 0

    def set_state(self, state):
        self.state = state.copy()
        self.done = False
        self.episode_steps = 0

    def step(self, action):
        # Apply the action to the environment and update the state
        if action == 0:
            torque = -1.0
        elif action == 2:
            torque = 1.0
        else:
            torque = 0.0
        
        self.state[3] += torque * 0.2  # Torque applied to theta1
        self.state[4] += torque * 0.2  # Torque applied to theta2, relative to theta1

        # Update angular velocities and check if the episode ends
        self.episode_steps += 1
        self.done = self.episode_steps >= 500 or (self.state[3]**2 + self.state[4]**2) > 1.0
        
        # Calculate the reward based on whether the episode ended
        reward = -1 if not self.done else 0

        # Convert state to numpy array for consistency with the expected interface
        next_state = self.state.copy()
        
        return next_state, reward, self.done
