# Code world model for Blackjack-v1, written by cwmb-solve (gif-mcts, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.5833 after 10 of 10 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the state with default values
        self.state = [4, 10, True]  # Player: 4, Dealer: 10 (ace), Usable Ace: True

    def set_state(self, state):
        self.state = state

    def step(self, action):
        # Convert state to list to allow modification
        self.state = list(self.state)
        
        if action == 0:
            done = True
        
        else:  # Player hits
            # Draw another card from the deck
            self.state[0] += np.random.randint(1, 12)
            
            # Check for bust or natural blackjack (17 or closer to 21 and no usable ace)
            if self.state[0] > 21 or ((self.state[0] == 17) & (~self.state[2])):
                done = True
            elif np.random.randint(1, 12) == 1:  # Usable Ace
                self.state[2] = False
        
        reward = -1 if self.state[0] > 21 else (1 if self.state[0] == 21 else 0)
        
        # Convert list back to tuple and return
        return tuple(self.state), reward, done
