# Code world model for Taxi-v4, written by cwmb-solve (worldcoder, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.5532 after 10 of 10 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the environment state to a random pick-up or drop-off location
        self.state = None
        self.reset()
        
    def reset(self):
        # Generate a random starting state where the passenger is not at their destination
        while True:
            taxi_row, taxi_col, passenger_location = np.random.randint(0, 5), np.random.randint(0, 5), np.random.randint(0, 4)
            if (taxi_row != passenger_location) and (passenger_location != 4):
                self.state = ((taxi_row * 5 + taxi_col) * 5 + passenger_location) * 4 + 3
                break

    def set_state(self, state):
        self.state = state

    def step(self, action):
        # Define the valid actions for a given taxi and passenger location
        valid_actions = []
        if action != 4:
            valid_actions.append(action)
        if action != 5:
            valid_actions.append(action)

        # Initialize next_state to -1 before checking its value
        next_state = -1

        # Calculate new state after taking the action
        taxi_row, taxi_col, passenger_location = self.state // 25, (self.state % 25) // 5, self.state % 5

        if action == 0:  # Move south
            next_state = (taxi_row + 1) * 25 + taxi_col * 5 + passenger_location
            if (next_state >= 496):
                return next_state, -10, True
        elif action == 1:  # Move north
            next_state = (taxi_row - 1) * 25 + taxi_col * 5 + passenger_location
            if (next_state < 0):
                return next_state, -10, True
        elif action == 2:  # Move east
            next_state = taxi_row * 25 + (taxi_col + 1) * 5 + passenger_location
            if (next_state % 5 >= 4):
                return next_state, -10, True
        elif action == 3:  # Move west
            next_state = taxi_row * 25 + (taxi_col - 1) * 5 + passenger_location
            if (next_state < 0) or ((next_state % 25) // 5 >= 4):
                return next_state, -10, True
        elif action == 4:  # Pick up
            if (passenger_location != 3):  # Check if passenger is at the passenger location
                if (taxi_row == passenger_location or taxi_col == passenger_location):
                    self.state = next_state + 2
                    return next_state, -10, True
                else:
                    return next_state, -10, False
            else:  # If passenger is already in the taxi, take action without changing state
                return next_state, -10, False
        elif action == 5:  # Drop off
            if (passenger_location != 3):  # Check if passenger is at the passenger location
                if (taxi_row == passenger_location or taxi_col == passenger_location):
                    self.state = next_state + 3
                    return next_state, 20, True
                else:
                    return next_state, -10, False
            else:  # If passenger is already in the taxi, take action without changing state
                return next_state, -10, False

        if (self.state // 25 == passenger_location and self.state % 25 != 3) or \
           (self.state // 25 == passenger_location and self.state % 25 == 4):  # Check if taxi is at the passenger location
            return next_state, -10, True
        else:
            return next_state, -1, False
