# Code world model for CliffWalking-v1, written by cwmb-solve (zero-shot, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.2876 after 1 of 1 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the environment state and observation space
        self.state = 36  # Starting position
        self.observation_space = np.arange(47)  # Possible observation values

    def set_state(self, state):
        # Set the state of the environment
        self.state = state if 0 <= state < self.observation_space.size else None

    def step(self, action):
        # Apply an action and return next state, reward, done
        if self.state is None:
            raise ValueError("Environment must be set before stepping")

        # Determine the next state based on the current state and action
        if 0 <= action < 4:  # Movement in the four directions
            row, col = divmod(self.state, 12)
            if action == 0 and row > 0:
                self.state -= 12
            elif action == 1 and col < 11:
                self.state += 1
            elif action == 2 and row < 11:
                self.state += 12
            elif action == 3 and col > 0:
                self.state -= 1

        # Check if the player fell off a cliff or reached the goal
        if self.state >= 47 or self.state <= 36:
            done = True
        else:
            done = False

        # If the action resulted in falling into a cliff, return the next state as the starting position
        if self.state == 36:
            self.state = 30

        return self.state, -1 if not done else -100, done
