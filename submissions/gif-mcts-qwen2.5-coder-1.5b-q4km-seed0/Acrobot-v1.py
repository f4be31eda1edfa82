# Code world model for Acrobot-v1, written by cwmb-solve (gif-mcts, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.6657 after 10 of 10 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the environment state to a random initial configuration
        self.state = np.random.uniform(-0.1, 0.1, 6)

    def set_state(self, state):
        if len(state) == 6:
            self.state = state
        else:
            raise ValueError("State must be a numpy array of length 6")

    def step(self, action):
        # Define the dynamics of the Acrobot environment based on Sutton's work

        # Example dynamics: 
        # Assuming the angular velocities are normalized between -1 and 1, and the torque is in N*m
        # The joint angles and velocities are updated based on this dynamics

        # Update the state
        self.state[2] += 0.5 * action  # Apply a torque to the second link
        self.state[4] += self.state[2] * np.cos(self.state[1])  # Update angular velocity of theta2

        # Calculate the reward based on the target height condition
        target_height = -np.cos(self.state[0]) - np.cos(self.state[1])
        if target_height > 1.0:
            reward = 0  # Target reached, terminate with reward 0
        else:
            reward = -1  # Step taken but not close to the target

        # Set done flag based on the termination condition
        done = False  # No termination conditions yet

        return self.state, reward, done
