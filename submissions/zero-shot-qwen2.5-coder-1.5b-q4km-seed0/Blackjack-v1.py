# Code world model for Blackjack-v1, written by cwmb-solve (zero-shot, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.0000 after 1 of 1 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the state with an empty observation, player sum, and usable ace status
        self.player_sum = None
        self.dealer_showing_card = None
        self.usable_ace = None

    def set_state(self, state):
        # Set the state based on the provided tuple
        self.player_sum, self.dealer_showing_card, self.usable_ace = state

    def step(self, action):
        # Determine if the player has a usable ace or not
        if self.usable_ace == 1:
            self.player_sum += 10 if self.player_sum + 10 <= 21 else 11
        
        # Perform the hit or stick action
        if action == 0:  # Stick
            done = True
            # Check for natural blackjack and adjust reward accordingly
            if (self.player_sum == 10 and self.dealer_showing_card != 8) or (
                    self.player_sum == 12 and self.dealer_showing_card < 7):
                reward = 1.0
            else:
                reward = -1.0
        else:  # Hit
            self.player_sum += np.random.randint(1, 12)
            done = False

        # Update the usable ace status if necessary
        if self.player_sum == 11 and self.dealer_showing_card <= 6:
            self.usable_ace = 0
        
        # Check for bust or winning condition
        if self.player_sum > 21 or (self.usable_ace == 1 and self.player_sum == 11):
            done = True
            reward = -1.0
        elif self.dealer_showing_card < 7:
            done = False
            # Player wins with natural blackjack
            if (self.player_sum == 10 and self.dealer_showing_card != 8) or (
                    self.player_sum == 12 and self.dealer_showing_card < 7):
                reward = 1.0

        return self.player_sum, self.dealer_showing_card, done
