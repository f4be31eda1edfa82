# Code world model for Pendulum-v1, written by cwmb-solve (gif-mcts, model qwen2.5-coder-1.5b-instruct-q4_k_m, seed 0).
# Train accuracy 0.3333 after 10 of 10 LLM calls.
import numpy as np

class Environment:
    def __init__(self):
        # Initialize the environment with random state and reset it
        self.reset()

    def set_state(self, state):
        assert state.shape == (3,), "State should be a 1-D array of shape (3,)"
        self.state = state

    def step(self, action):
        assert action.shape == (1,), "Action should be a 1-D array of shape (1,)"
        # Apply torque to the pendulum
        next_state = self.apply_torque(action[0])
        # Calculate reward
        reward = -(np.square(next_state[2]) + 0.1 * np.square(8) + 0.001 * np.square(action[0]))
        # Check if the episode is done
        done = True if np.isclose(reward, -16.2736044) and self.state[2] >= 0 else False
        return next_state, reward, done

    def apply_torque(self, torque):
        # Calculate new position and angle based on the applied torque
        x = self.state[0]
        y = self.state[1]
        theta = np.arctan2(y, x)
        angular_velocity = self.state[2]

        # Apply torque to adjust the angle and angular velocity
        if torque > 0:
            angle_change = torque / 10.0  # assuming a linear relationship with torque
        else:
            angle_change = -torque / 10.0

        theta += angle_change
        angular_velocity += torque * 0.5 / 10.0  # assuming a constant acceleration due to gravity

        # Wrap the angle within [-pi, pi]
        if theta > np.pi:
            theta -= 2 * np.pi
        elif theta < -np.pi:
            theta += 2 * np.pi

        return np.array([x, y, angular_velocity], dtype=np.float32)

    def reset(self):
        # Reset the pendulum to a random position and angular velocity
        self.state = np.random.uniform(low=-1.0, high=1.0, size=(3,))
