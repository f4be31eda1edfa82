# Code world model for CliffWalking-v1, written by cwmb-solve (worldcoder, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.7149 after 10 of 10 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the environment state and action space
        self.state = 36  # Starting position
        # Adjusting action space to include stay option
        self.action_space = np.arange(5)  # Valid actions: {0, 1, 2, 3, 4} where 4 is "stay"

    def set_state(self, state):
        self.state = state

    def step(self, action):
        # Apply the action to the current state and update the new state
        if (action == 0) or (action == 1 or action == 2) or (action == 3):  # Move up, right, down, or stay
            if action == 0:
                # Move up
                if self.state - 4 >= 0:
                    self.state -= 4
                else:
                    raise ValueError("Cannot move upwards from this position")
            elif action == 1:
                # Move right
                if (self.state + 1) % 12 < 11 and self.state % 12 != 10:
                    self.state += 1
                else:
                    raise ValueError("Cannot move rightwards from this position")
            elif action == 2:
                # Move down
                if self.state - 4 <= 35:
                    self.state -= 4
                else:
                    raise ValueError("Cannot move downwards from this position")
            elif action == 3:
                # Move left
                if self.state % 12 != 9:  # Check if the player is not on column 0
                    self.state -= 1
                else:
                    raise ValueError("Cannot move leftwards from this position")

        # Check if the player has reached the goal or falls off the cliff
        if (self.state // 4 == 3) and (self.state % 12 == 11):
            done = True
            reward = 0
        elif self.state == 36 or self.state in [37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47]:
            done = False
            reward = -100 if (self.state == 37 or self.state == 38 or self.state == 39) else -1
        else:
            done = False
            reward = -1

        return self.state, reward, done
