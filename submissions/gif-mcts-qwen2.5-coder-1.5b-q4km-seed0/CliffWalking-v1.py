# Code world model for CliffWalking-v1, written by cwmb-solve (gif-mcts, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.8924 after 10 of 10 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        self.grid = np.zeros((3, 12), dtype=int)
        self.start = [3, 0]
        self.goal = [3, 11]
        self.cliff = [(3, 1), (3, 2), (3, 3), (3, 4), (3, 5), (3, 6)]
        self.current_state = self.start[0] * 12 + self.start[1]

    def set_state(self, state):
        if state in range(36) and not self.is_cliff(state // 12, state % 12):
            self.current_state = state

    def is_cliff(self, row, col):
        return (row, col) in self.cliff

    def step(self, action):
        # Move the player
        if action == 0:  # Up
            new_row = max(self.current_state // 12 - 1, 0)
            new_col = self.current_state % 12
        elif action == 1:  # Right
            new_row = self.current_state // 12
            new_col = min(self.current_state % 12 + 1, 11)
        elif action == 2:  # Down
            new_row = min(self.current_state // 12 + 1, 2)
            new_col = self.current_state % 12
        elif action == 3:  # Left
            new_row = self.current_state // 12
            new_col = max(self.current_state % 12 - 1, 0)
        
        if (new_row, new_col) in self.cliff:
            new_state = self.start[0] * 12 + self.start[1]
        else:
            new_state = new_row * 12 + new_col
        
        reward = -1
        done = False

        if new_state == self.goal[0] * 12 + self.goal[1]:
            done = True
        
        # If the episode is truncated, reset to the starting state
        if np.sum(self.grid) == 36:  # All cells are occupied
            done = True
        
        return new_state, reward, done
