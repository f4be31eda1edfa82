"""Says done at its second step after every set_state: open-loop rollouts stop there."""


class Environment:
    def set_state(self, state):
        self.state, self.steps = state, 0

    def step(self, action):
        self.steps += 1
        return self.state, float(self.steps), self.steps == 2
