# Code world model for Blackjack-v1, written by cwmb-solve (worldcoder, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.7500 after 10 of 10 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        self.state = (0, 4, 1)  # Initialize the state with an empty observation, player sum, and usable ace
        self.done = False  # Initialize done to False before setting the state or taking action

    def set_state(self, state):
        self.state = state
        self.done = False  # Set done to False when setting the state

    def step(self, action):
        # Initialize done here before taking any actions
        if self.done:
            raise ValueError("State has already been set and done is True.")

        # Action to hit or stick
        if action == 0:  # Stick
            self.done = True
        elif action == 1:  # Hit
            # Sum the current hand and check for busts
            player_sum = sum(self.state)
            while player_sum < 21:
                new_card = np.random.randint(1, 11) if self.state[0] < 10 else 11
                self.state = (self.state[0] + new_card, max(self.state[1], new_card), self.state[2])
                player_sum = sum(self.state)
            if player_sum > 21:
                self.done = True

        # Reward based on the outcome of the game
        reward = -1  # Default loss
        if self.state[0] == 21:  # Player gets a natural blackjack
            reward = 1 if self.state[2] else 0  # Use natural=True in CWMB

        return (self.state, reward, self.done)
