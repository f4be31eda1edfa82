# Code world model for Blackjack-v1, written by cwmb-solve (gif-mcts, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.7222 after 10 of 10 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the state with an empty observation, player sum, and usable ace
        self.state = (0, 4, 1)  # Player current sum is 0, dealer showing card value is 4 (ace), usable Ace is true
        self.done = False

    def set_state(self, state):
        self.state = state
        self.done = False

    def step(self, action):
        # Action to hit or stick
        if action == 0:  # Stick
            done = True
        elif action == 1:  # Hit
            # Sum the current hand and check for busts
            player_sum = sum(self.state)
            while player_sum < 21:
                new_card = np.random.randint(1, 11) if self.state[0] < 10 else 11
                self.state = (self.state[0] + new_card, max(self.state[1], new_card), self.state[2])
                player_sum = sum(self.state)
            if player_sum > 21:
                done = True

        # Reward based on the outcome of the game
        reward = -1  # Default loss
        if self.state[0] == 21:  # Player gets a natural blackjack
            reward = 1 if self.state[2] else 0  # Use natural=True in CWMB

        return (self.state, reward, done)
