"""Not Python: category syntax_error, with the line number."""


class Environment:
    def step(self, action)
        return 0
