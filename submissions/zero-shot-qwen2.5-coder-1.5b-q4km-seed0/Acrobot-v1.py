# Code world model for Acrobot-v1, written by cwmb-solve (zero-shot, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.4465 after 1 of 1 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the environment state
        self.state = np.random.uniform(-0.1, 0.1, size=(6,))
        self.done = False
        self.timesteps = 0

    def set_state(self, state):
        self.state = state.copy()
        self.done = False
        self.timesteps = 0

    def step(self, action):
        # Apply the action to the environment state
        torque1 = -0.1 if action == 2 else 0.1 if action == 0 else None
        
        # Update joint angles
        theta1 = (self.state[0] + self.state[3]) * np.pi / 180
        theta2 = self.state[1] + self.state[4]
        
        # Apply torque
        theta2 += torque1
        
        # Normalize joint positions and velocities
        self.state[0] = np.cos(theta1)
        self.state[1] = np.sin(theta1)
        self.state[3] = np.cos(theta2)
        self.state[4] = np.sin(theta2)

        # Check if the episode ends
        if np.abs(self.state[0]) > 1.0 or np.abs(self.state[3]) > 1.0:
            done = True
        else:
            done = False
        
        # Increment timesteps
        self.timesteps += 1

        return self.state, -1, done
