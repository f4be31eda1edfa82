# Code world model for CartPole-v1, written by cwmb-solve (worldcoder, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.6658 after 10 of 10 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the environment state to a random observation within the allowed bounds
        self.state = np.random.uniform(-0.05, 0.05, (4,))
    
    def set_state(self, state):
        if np.all((-2.4 <= state[0] <= 2.4) & (-np.inf <= state[1] <= np.inf) &
                   (-0.418 <= state[2] <= 0.418) & (-np.inf <= state[3] <= np.inf)):
            self.state = state
        else:
            raise ValueError("State is out of bounds")

    def step(self, action):
        # Apply the given action to the environment and return next observation, reward, and done status

        # In this simplified model, let's assume no physics-based dynamics are implemented.
        # Therefore, we can simply modify the state based on the action.

        if action == 0:
            # Move cart to the left
            self.state[1] += 1.0  # Increase velocity by a small amount
        elif action == 1:
            # Move cart to the right
            self.state[1] -= 1.0  # Decrease velocity by a small amount

        # Update state bounds and handle terminal states
        if np.abs(self.state[2]) > np.pi / 6:
            done = True
        else:
            done = False

        # Calculate reward based on the number of steps taken, including termination step
        reward = 1 if not done else 0

        return self.state, reward, done
