"""Code extraction from LLM answers of every shape."""

from pathlib import Path

import pytest

from cwmb.solvers.extract import code_blocks, extract_code, parses

PROGRAM = "import numpy as np\n\nclass Environment:\n    def step(self, action):\n        return 0, 0.0, False\n"


def test_one_fenced_block_with_prose_around():
    text = f"Sure! Here is the code:\n\n```python\n{PROGRAM}```\n\nThis class simulates the environment."
    assert extract_code(text) == PROGRAM


def test_unlabelled_and_py_fences():
    assert extract_code(f"```\n{PROGRAM}```") == PROGRAM
    assert extract_code(f"```py\n{PROGRAM}```") == PROGRAM


def test_several_blocks_the_last_program_wins():
    old = PROGRAM.replace("0.0", "1.0")
    text = (
        f"The bug is in this line:\n```python\nreturn 0, 1.0, False\n```\nOriginal:\n```python\n{old}```\n"
        f"Corrected program:\n```python\n{PROGRAM}```\nUsage:\n```python\nenv = Environment()\n```\n"
    )
    assert extract_code(text) == PROGRAM


def test_without_environment_class_the_longest_block():
    text = "```python\nx = 1\n```\n```python\ndef f():\n    return 2\n```"
    assert extract_code(text) == "def f():\n    return 2\n"


def test_other_languages_are_ignored():
    text = f"```bash\npip install numpy\n```\n```python\n{PROGRAM}```\n```json\n{{}}\n```"
    assert extract_code(text) == PROGRAM


def test_truncated_fenced_block_loses_its_unfinished_line():
    text = f"```python\n{PROGRAM}    def set_state(self, st"
    assert extract_code(text) == PROGRAM


def test_truncated_block_cut_back_to_what_parses():
    text = "```python\nimport math\n\nclass Environment:\n    def step(self, action):\n        if action:\n"
    code = extract_code(text)
    assert parses(code) and code.startswith("import math")


def test_no_fences_prose_before_and_after():
    text = f"Here is my solution.\n{PROGRAM}\nThis program implements the dynamics.\nHope it helps!"
    assert extract_code(text) == PROGRAM


def test_no_fences_real_syntax_error_is_kept_for_fix():
    text = "import math\nclass Environment:\n    def step(self action):\n        return 1\n"
    assert extract_code(text) == text


def test_special_tokens_are_dropped():
    assert extract_code(f"```python\n{PROGRAM}```<|eot_id|>") == PROGRAM


@pytest.mark.parametrize("text", ["", "I cannot help with that.", "```python\n```"])
def test_no_code(text):
    assert extract_code(text) == ""


def test_code_blocks_reports_unclosed_block():
    blocks = code_blocks("a\n```python\nx = 1\n```\n```\ny = 2")
    assert [(b.language, b.code, b.closed) for b in blocks] == [("python", "x = 1", True), ("", "y = 2", False)]


# -- rule 5: usage examples after the program ------------------------------------------------

REAL_COMPLETIONS = Path(__file__).resolve().parent / "real_completions"


def test_a_real_usage_example_after_the_class_is_dropped():
    # Qwen2.5-Coder-0.5B-Instruct (Q4_K_M, llama.cpp server), zero-shot CartPole-v1, seed 0: the answer
    # ends its program with "# Example usage" code whose last line reads an undefined `done`, so the
    # harness's import of the program failed before any transition was scored.
    text = (REAL_COMPLETIONS / "cartpole_usage_example_at_module_level.md").read_text(encoding="utf-8")
    code = extract_code(text)
    assert parses(code) and "class Environment:" in code and "return new_state, 1.0, done" in code
    assert "Example usage" not in code and "env = Environment()" not in code and "print(" not in code
    assert code.rstrip().endswith("return new_state, 1.0, done")


def test_usage_example_rule_keeps_definitions_and_the_main_guard():
    program = (
        "import numpy as np\n\nGRAVITY = 9.8\n\nclass Environment:\n    def step(self, action):\n        return 0, 0.0, False\n"
        "\nLIMIT = 2.4\n"
    )
    example = "\n# Try it\nenv = Environment()\nprint(env.step(0))\nfor _ in range(3):\n    env.step(1)\n"
    helper = "\ndef helper(x):\n    return x\n"
    guard = '\nif __name__ == "__main__":\n    Environment().step(0)\n'
    assert extract_code(f"```python\n{program}{example}{helper}```") == program + helper
    assert extract_code(f"```python\n{program}{guard}```") == program + guard  # never runs on import
    assert extract_code(f"```python\n{program}```") == program  # constants after the class stay
    before = "```python\nenv = Environment()\n\nclass Environment:\n    pass\n```"
    assert extract_code(before) == "env = Environment()\n\nclass Environment:\n    pass\n"  # only after the class
