"""Pull the program out of an LLM answer.

Answers come in every shape: one fenced block, several (an explanation with snippets, then the
program), prose before or after the code, no fences at all, or an answer cut off by the token
limit in the middle of a line. `extract_code` returns the program text; it never executes it.

Rules, in order:

1. Fenced blocks in Python (```` ```python ````, ```` ```py ````, or no language) are candidates;
   blocks in another language (bash, json, text) are not.
2. Of the candidates, the last one that defines ``class Environment`` wins (an improve answer
   explains first and gives the corrected program last); without one, the longest block.
3. A block whose closing fence never came (truncated output) loses its unfinished last line and,
   when it still does not parse, the trailing lines up to the longest prefix that parses.
4. Without fences, the code starts at the first line that looks like Python (``import``,
   ``from``, ``class``, ``def``, a decorator, a comment or an assignment); trailing prose is cut when
   what follows the longest parseable prefix is unindented text rather than code.
5. A usage example after the program is dropped: from the first top-level statement after
   ``class Environment`` that creates an ``Environment()``, calls a function (``print(...)``) or
   loops, the top-level code other than imports, functions and classes goes, with the comment lines
   just above it (``# Example usage``). The harness imports the program, so such code would run at
   load time, and its failure (small models' examples often raise) would fail a program whose class
   is fine. ``if __name__ == "__main__":`` blocks stay: they never run on import.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+.-]*)")
_PYTHON_LANGUAGES = {"", "python", "python3", "py", "py3"}
_CODE_START = re.compile(r"^(import\s|from\s+\S+\s+import\s|class\s|def\s|async\s+def\s|@|#|[A-Za-z_][\w.]*\s*(:[^=]+)?=[^=])")
_CODE_WORDS = re.compile(r"^(return|if|elif|else|for|while|try|except|finally|with|raise|pass|import|from|class|def|@)\b")
_SPECIAL_TOKENS = re.compile(r"<\|(eot_id|end_of_text|im_end|endoftext)\|>|</s>")


@dataclass(frozen=True)
class CodeBlock:
    language: str
    code: str
    closed: bool


def code_blocks(text: str) -> list[CodeBlock]:
    """Every fenced block of `text`, in order; the last may be unclosed (truncated answer)."""
    blocks: list[CodeBlock] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence, language = opening.group(1), opening.group(2).lower()
        body: list[str] = []
        index += 1
        closed = False
        while index < len(lines):
            if lines[index].strip().startswith(fence[0] * 3) and lines[index].strip().strip(fence[0]) == "":
                closed = True
                break
            body.append(lines[index])
            index += 1
        blocks.append(CodeBlock(language, "\n".join(body), closed))
        index += 1
    return blocks


def extract_code(text: str) -> str:
    """The program in an LLM answer (see the module docstring for the rules); "" when there is none."""
    text = _SPECIAL_TOKENS.sub("", text)
    blocks = [b for b in code_blocks(text) if b.language in _PYTHON_LANGUAGES and b.code.strip()]
    if blocks:
        with_class = [b for b in blocks if re.search(r"^\s*class\s+Environment\b", b.code, re.M)]
        block = with_class[-1] if with_class else max(blocks, key=lambda b: len(b.code))
        code = block.code if block.closed else _repair_truncated(block.code, text.endswith("\n"))
        return _tidy(drop_usage_example(code))
    return _tidy(drop_usage_example(_from_unfenced(text)))


def parses(code: str) -> bool:
    """True when `code` is syntactically valid Python (nothing is executed)."""
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _longest_parsing_prefix(lines: list[str]) -> int:
    """Number of leading lines that parse, 0 when no non-empty prefix does."""
    for end in range(len(lines), 0, -1):
        if lines[end - 1].strip() and parses("\n".join(lines[:end])):
            return end
    return 0


def _repair_truncated(code: str, ended_with_newline: bool) -> str:
    lines = code.splitlines()
    if lines and not ended_with_newline:
        lines = lines[:-1]  # cut in the middle of this line
    if parses("\n".join(lines)):
        return "\n".join(lines)
    end = _longest_parsing_prefix(lines)
    return "\n".join(lines[:end]) if end else code


def _from_unfenced(text: str) -> str:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _CODE_START.match(line)), None)
    if start is None:
        return ""
    lines = lines[start:]
    if parses("\n".join(lines)):
        return "\n".join(lines)
    end = _longest_parsing_prefix(lines)
    rest = [line for line in lines[end:] if line.strip()]
    looks_like_prose = all(not line[0].isspace() and not _CODE_WORDS.match(line) for line in rest)
    if end and looks_like_prose:
        return "\n".join(lines[:end])
    return "\n".join(lines)  # a real syntax error: keep it for the fix action to see


def _is_usage(statement: ast.stmt) -> bool:
    """A top-level statement that runs the program rather than defining it (rule 5)."""
    if isinstance(statement, (ast.For, ast.AsyncFor, ast.While)):
        return True
    if isinstance(statement, ast.Expr):
        return isinstance(statement.value, ast.Call)
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and statement.value is not None:
        return any(
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Environment"
            for node in ast.walk(statement.value)
        )
    return False


def drop_usage_example(code: str) -> str:
    """`code` without the usage example that follows its ``class Environment`` (rule 5)."""
    try:
        module = ast.parse(code)
    except (SyntaxError, ValueError):
        return code  # nothing to cut safely: the fix action sees the error as it is
    body = module.body
    classes = [i for i, s in enumerate(body) if isinstance(s, ast.ClassDef) and s.name == "Environment"]
    if not classes:
        return code
    start = next((i for i in range(classes[-1] + 1, len(body)) if _is_usage(body[i])), None)
    if start is None:
        return code
    lines = code.splitlines()
    definitions = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    kept_after = [
        "\n".join(lines[_first_line(s) - 1 : s.end_lineno]) for s in body[start:] if isinstance(s, definitions)
    ]
    cut = _first_line(body[start]) - 1
    while cut > 0 and (not lines[cut - 1].strip() or lines[cut - 1].lstrip().startswith("#")):
        cut -= 1  # the "# Example usage" comment and blank lines above the example go with it
    return "\n\n".join(["\n".join(lines[:cut]), *kept_after]) + "\n"


def _first_line(statement: ast.stmt) -> int:
    """First line of a statement, its decorators included."""
    decorators = getattr(statement, "decorator_list", [])
    return min([statement.lineno, *(d.lineno for d in decorators)])


def _tidy(code: str) -> str:
    code = code.strip("\n")
    return code + "\n" if code.strip() else ""
