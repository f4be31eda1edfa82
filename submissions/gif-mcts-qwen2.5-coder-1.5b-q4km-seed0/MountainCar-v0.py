# Code world model for MountainCar-v0, written by cwmb-solve (gif-mcts, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 1.0000 after 2 of 10 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the environment state and reset it
        self.position = np.random.uniform(-0.6, -0.4)
        self.velocity = 0.0
        self.done = False
        self.max_steps = 200
    
    def set_state(self, state):
        # Set the environment state from a 1-D numpy array
        if len(state) != 2:
            raise ValueError("State must be an array of size (2,)")
        
        self.position = state[0]
        self.velocity = state[1]
        self.done = False  # Reset done flag
    
    def step(self, action):
        # Apply one action and return the next state, reward, and done status
        if self.done:
            raise RuntimeError("Environment has already terminated.")
        
        force = 0.001
        gravity = 0.0025
        
        # Clamp position to [-1.2, 0.6]
        if self.position > 0.6:
            self.position = 0.6
        elif self.position < -1.2:
            self.position = -1.2
        
        # Apply acceleration based on the action
        acceleration = (action - 1) * force - np.cos(3 * self.position) * gravity
        if acceleration > self.velocity + 0.07:
            acceleration = self.velocity + 0.07
        elif acceleration < -self.velocity - 0.07:
            acceleration = -self.velocity - 0.07
        
        # Update velocity and position
        self.velocity += acceleration
        self.position += self.velocity
        
        # Check if the episode is terminated
        if self.position >= 0.5:
            self.done = True
        
        # Return the new state, reward, and done status
        return (self.position, self.velocity), -1.0, self.done
