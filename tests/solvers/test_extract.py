"""Code extraction from LLM answers of every shape."""

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
