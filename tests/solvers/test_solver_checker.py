"""The checker interface: `ProgramCheck`, and `default_scorer` on the train split."""

import re
import sys
import types

import pytest

from cwmb.solvers.checker import Failure, ProgramCheck, ScorerUnavailable, default_scorer

ERROR = Failure("exception", "KeyError: 3", "line 4")


def test_raised_and_first_error():
    assert not ProgramCheck(0.5).raised and ProgramCheck(0.5).first_error is None
    load = Failure("syntax_error", "bad", "line 1")
    assert ProgramCheck(0.0, load, [], [ERROR]).first_error is load
    assert ProgramCheck(0.7, None, ["x"], [ERROR]).raised and ProgramCheck(0.7, None, [], [ERROR]).first_error is ERROR


def test_default_scorer_uses_the_harness_on_the_train_split(monkeypatch):
    seen = []

    def check_program(source, env_id, *, split="test-if-not-given"):
        seen.append((source, env_id, split))
        return ProgramCheck(0.25)

    monkeypatch.setitem(sys.modules, "cwmb.evaluate", types.SimpleNamespace(check_program=check_program))
    assert default_scorer()("code", "Taxi-v4").accuracy == 0.25
    assert seen == [("code", "Taxi-v4", "train")]


def test_default_scorer_without_the_harness_checker(monkeypatch):
    monkeypatch.setitem(sys.modules, "cwmb.evaluate", types.ModuleType("cwmb.evaluate"))
    with pytest.raises(ScorerUnavailable, match=re.escape("`cwmb.evaluate.check_program` is not available")):
        default_scorer()


def test_checks_of_the_same_shape_are_accepted():
    from collections import namedtuple

    SandboxFailure = namedtuple("SandboxFailure", "category message traceback")
    Other = namedtuple("Other", "accuracy failure mispredictions step_errors")
    from cwmb.solvers.checker import as_program_check

    check = as_program_check(Other(0.5, None, ["m"], [SandboxFailure("exception", "boom", "line 3")]))
    assert check == ProgramCheck(0.5, None, ["m"], [Failure("exception", "boom", "line 3")])
    assert check.raised
