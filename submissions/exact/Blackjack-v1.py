"""Code world model of Gymnasium 1.4 `Blackjack-v1` (defaults: natural=False, sab=False).

State: (player_sum, dealer_showing_card, usable_ace). Actions: 0 stick, 1 hit.
Cards come from an infinite deck: 1 (ace), 2..9 and four 10-valued cards (10, J, Q, K).
An ace counts 11 while that does not bust the hand ("usable ace").

- Hit: draw a card. The observation is enough to update the sum exactly (a usable ace is
  re-counted as 1 on overflow; a new ace is usable only if the sum stays <= 21). Sum > 21 ends the
  episode with -1, otherwise reward 0.
- Stick: the episode ends; the observation is unchanged. The dealer reveals the hidden card and
  draws until their sum is >= 17; reward +1 / 0 / -1 by comparing the scores (a bust scores 0).

The game is stochastic and the dealer's hidden card is not observed, so this model *samples* the
drawn card and the dealer's hidden and extra cards with its own seeded numpy Generator. What it can
match exactly: the whole transition after a stick except the reward's sign (state and done always,
reward when the sample agrees), and after a hit only when the sampled card equals the real one.
"""

import numpy as np

DECK = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10]


def hand_value(cards):
    """Best total of a hand, counting one ace as 11 when that does not exceed 21."""
    total = sum(cards)
    return total + 10 if 1 in cards and total + 10 <= 21 else total


class Environment:
    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)
        self.state = (12, 10, 0)

    def draw(self):
        return int(self.rng.choice(DECK))

    def set_state(self, state):
        self.state = tuple(int(x) for x in state)

    def step(self, action):
        player_sum, dealer_card, usable_ace = self.state
        if int(action) == 1:  # hit
            card = self.draw()
            raw = player_sum - 10 if usable_ace else player_sum  # aces counted as 1
            raw += card
            has_ace = bool(usable_ace) or card == 1
            if has_ace and raw + 10 <= 21:
                player_sum, usable_ace = raw + 10, 1
            else:
                player_sum, usable_ace = raw, 0
            self.state = (player_sum, dealer_card, usable_ace)
            if player_sum > 21:
                return self.state, -1.0, True
            return self.state, 0.0, False
        # stick: the dealer plays out their hand (showing card + a sampled hidden card)
        dealer = [dealer_card, self.draw()]
        while hand_value(dealer) < 17:
            dealer.append(self.draw())
        player_score = 0 if player_sum > 21 else player_sum
        dealer_score = 0 if hand_value(dealer) > 21 else hand_value(dealer)
        reward = float(player_score > dealer_score) - float(player_score < dealer_score)
        return self.state, reward, True
