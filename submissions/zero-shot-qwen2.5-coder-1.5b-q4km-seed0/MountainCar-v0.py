# Code world model for MountainCar-v0, written by cwmb-solve (zero-shot, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.0000 after 1 of 1 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the environment state and reset it
        self.position = np.random.uniform(-0.6, -0.4)
        self.velocity = 0.0
        self.done = False
        self.max_steps = 200
        
        # Constants for the environment parameters
        self.force = 0.001
        self.gravity = 0.0025

    def set_state(self, state):
        # Update the state of the environment
        self.position = state[0]
        self.velocity = state[1]

    def step(self, action):
        """
        Apply an action to the environment and return the next observation,
        reward, and done status.
        
        :param action: An integer representing the action taken by the agent (0 for left, 1 for no action, 2 for right)
        :return: A tuple of ((next_state, reward, done), new_position, new_velocity)
        """
        # Calculate the next velocity and position based on the action
        next_velocity = self.velocity + (action - 1) * self.force - np.cos(3 * self.position) * self.gravity
        
        # Apply collision inelastic with the velocity set to 0 if the velocity exceeds a limit
        if abs(next_velocity) > self.max_velocity:
            next_velocity = np.clip(next_velocity, -self.max_velocity, self.max_velocity)
        
        # Calculate the next position based on the new velocity
        next_position = self.position + next_velocity
        
        # Apply collision inelastic with the velocity set to 0 if the position exceeds a limit
        if not (-1.2 <= next_position <= 0.6):
            next_position = np.clip(next_position, -1.2, 0.6)
        
        # Increment time step
        self.step_count += 1
        
        # Check if the episode has terminated or truncated
        done = False
        if self.step_count >= self.max_steps:
            done = True
        if next_position >= 0.5:
            done = True
        
        return (next_position, reward), next_position, done

    @property
    def step_count(self):
        # Get the current time step count
        return self._step_count

if __name__ == "__main__":
    env = Environment()
    
    while not env.done:
        # Example of taking an action and displaying the new state
        action = np.random.randint(0, 3)  # Choose a random action (0, 1, or 2)
        next_state, reward = env.step(action)
        print(f"Action: {action}, Next State: {next_state}, Reward: {reward}")
