"""Exact code world model of Gymnasium 1.4 `Taxi-v4` (default: not rainy, no fickle passenger).

State = ((taxi_row * 5 + taxi_col) * 5 + passenger_location) * 4 + destination, 500 states.
Passenger location 0..3 is one of the four stands R(0,0), G(0,4), Y(4,0), B(4,3); 4 = in the taxi.
Actions: 0 south, 1 north, 2 east, 3 west, 4 pickup, 5 dropoff. The map has vertical walls
(`|` below) that block east/west moves; the outer border blocks everything.
Rewards: -1 per step; +20 for dropping the passenger at the destination (terminates);
-10 for an illegal pickup or dropoff. Dropping the passenger at another stand leaves them there (-1).
"""

MAP = [
    "+---------+",
    "|R: | : :G|",
    "| : | : : |",
    "| : : : : |",
    "| | : | : |",
    "|Y| : |B: |",
    "+---------+",
]
LOCS = [(0, 0), (0, 4), (4, 0), (4, 3)]


def decode(state):
    state, dest = divmod(state, 4)
    state, passenger = divmod(state, 5)
    row, col = divmod(state, 5)
    return row, col, passenger, dest


def encode(row, col, passenger, dest):
    return ((row * 5 + col) * 5 + passenger) * 4 + dest


class Environment:
    def __init__(self):
        self.state = 0

    def set_state(self, state):
        self.state = int(state)

    def step(self, action):
        row, col, passenger, dest = decode(self.state)
        action = int(action)
        reward, done = -1.0, False
        if action == 0:
            row = min(row + 1, 4)
        elif action == 1:
            row = max(row - 1, 0)
        elif action == 2:
            if MAP[1 + row][2 * col + 2] == ":":  # no wall on the east side
                col = min(col + 1, 4)
        elif action == 3:
            if MAP[1 + row][2 * col] == ":":  # no wall on the west side
                col = max(col - 1, 0)
        elif action == 4:  # pickup
            if passenger < 4 and (row, col) == LOCS[passenger]:
                passenger = 4
            else:
                reward = -10.0
        elif action == 5:  # dropoff
            if passenger == 4 and (row, col) == LOCS[dest]:
                passenger, reward, done = dest, 20.0, True
            elif passenger == 4 and (row, col) in LOCS:
                passenger = LOCS.index((row, col))
            else:
                reward = -10.0
        self.state = encode(row, col, passenger, dest)
        return self.state, reward, done
