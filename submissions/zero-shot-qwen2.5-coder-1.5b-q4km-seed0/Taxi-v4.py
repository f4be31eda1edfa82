# Code world model for Taxi-v4, written by cwmb-solve (zero-shot, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.1120 after 1 of 1 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the environment state to a random pick-up or drop-off location
        self.state = None
        self.reset()
        
    def set_state(self, state):
        if state >= 0 and state < 5 * 5 * 5:
            self.state = state
        
    def reset(self):
        # Choose a random starting state that is neither at the destination nor inside the taxi
        while True:
            taxi_row = np.random.randint(5)
            taxi_col = np.random.randint(5)
            passenger_location = np.random.randint(4)  # Red, Green, Yellow, or Blue
            if (taxi_row * 5 + taxi_col) * 5 + passenger_location != 0:
                self.state = ((taxi_row * 5 + taxi_col) * 5 + passenger_location) * 4 + 4
                break
    
    def step(self, action):
        # Apply the given action and return the new state, reward, and done status
        if not (self.state >= 0 and self.state < 404):
            raise ValueError("Invalid state")
        
        # Determine the new state based on the action
        taxi_row, taxi_col = divmod(self.state // 25, 5)
        passenger_location = (self.state % 25) // 4
        
        if action == 4:  # Pickup action
            if passenger_location != self.state % 4:
                return self.state, -10, True
            passenger_location = 4  # Indicate that the passenger is in the taxi
            self.state = ((taxi_row * 5 + taxi_col) * 5 + passenger_location) * 4 + 4
        elif action == 5:  # Drop-off action
            if passenger_location != 4:
                return self.state, -10, True
            passenger_location = (self.state % 25) // 4
            self.state = ((taxi_row * 5 + taxi_col) * 5 + passenger_location) * 4 + 4
        
        # Check if the episode is terminated or truncated
        done = False
        if self.state == 398:  # Terminal state where the passenger and taxi are at the destination
            next_state, reward, done = 399, 20, True
        elif (self.state // 4) % 5 != 0 or (self.state - 1) // 4 == self.state // 4:  # Terminal state due to illegal actions
            next_state, reward, done = self.state, -10, True
        
        return next_state, reward, done
