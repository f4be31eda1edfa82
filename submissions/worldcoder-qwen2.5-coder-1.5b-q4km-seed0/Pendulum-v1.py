# Code world model for Pendulum-v1, written by cwmb-solve (worldcoder, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.0000 after 10 of 10 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the pendulum to a random angle and angular velocity
        self.state = np.random.uniform(-np.pi, np.pi)
        self.velocity = np.random.uniform(-1.0, 1.0)

    def set_state(self, state):
        # Set the state of the pendulum to a given observed state
        if isinstance(state, list) and len(state) == 3:
            self.state = np.array(state).astype(np.float32)
        elif isinstance(state, np.ndarray) and state.shape == (3,):
            self.state = state.astype(np.float32)
        else:
            raise ValueError("Invalid state format")

    def step(self, action):
        # Apply the given torque to the pendulum
        torque = action[0]
        
        # Calculate the time derivative of velocity due to gravity and angular acceleration
        dv_dt = -10 * np.sin(self.state) + 0.05 * torque
        
        # Update the state and velocity using Euler's method for simplicity (not ideal in practice)
        self.velocity += dv_dt
        self.state += self.velocity
        
        # Normalize the angle to be within [-pi, pi]
        self.state[0] = np.arctan2(self.state[1], self.state[0]) if self.state[0] != 0 else 0
        
        # Calculate the reward based on thependulum's position and velocity
        reward = -(self.state[0]**2 + 0.1 * dv_dt**2 + 0.001 * torque**2)
        
        # Check if the episode should end (e.g., reach the time limit or reach a terminal state)
        done = False
        # Additional logic to check for episode termination can be added here

        return self.state, reward, done
