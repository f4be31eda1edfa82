"""Exact code world model of Gymnasium 1.4 `CliffWalking-v1` (default, not slippery).

A 4x12 grid; the state is `row * 12 + col`, the start is (3, 0) = 36 and the goal (3, 11) = 47.
Actions: 0 up, 1 right, 2 down, 3 left; moves off the grid leave the agent in place.
Every step costs -1; stepping onto the cliff (row 3, columns 1..10) costs -100 and sends the agent
back to the start without ending the episode; reaching the goal terminates.
"""

ROWS, COLS = 4, 12
START = 3 * COLS + 0
GOAL = (3, COLS - 1)
MOVES = {0: (-1, 0), 1: (0, 1), 2: (1, 0), 3: (0, -1)}


class Environment:
    def __init__(self):
        self.state = START

    def set_state(self, state):
        self.state = int(state)

    def step(self, action):
        row, col = divmod(self.state, COLS)
        d_row, d_col = MOVES[int(action)]
        row = min(max(row + d_row, 0), ROWS - 1)
        col = min(max(col + d_col, 0), COLS - 1)
        if row == 3 and 1 <= col <= COLS - 2:  # fell off the cliff
            self.state = START
            return self.state, -100.0, False
        self.state = row * COLS + col
        return self.state, -1.0, (row, col) == GOAL
