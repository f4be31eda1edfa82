"""One comparator for states, rewards and dones, with the tolerance every protocol names.

Follows the recursion of Gymnasium's `utils/env_checker.py::data_equivalence` (tuples, lists, arrays)
and EvalPlus's explicit `np.allclose(rtol, atol)`, with two differences that suit untrusted world
models: container and numeric types need not match (a world model may return a list or a numpy
array where the real env returns a tuple, or ``np.int64`` where it returns ``int``), and nothing here
raises: a prediction of the wrong shape, a string, ``None`` or a NaN is simply not equal.

Float tolerance is asymmetric, as in ``np.allclose``: ``|predicted - expected| <= atol + rtol *
|expected|``, the expected value being the dataset's. Exact float equality is used only where the
`paper-2024` protocol must reproduce the authors' code (its rewards).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

#: The named, versioned protocols; each fixes its tolerances below.
PROTOCOLS = ("cwmb-v1", "paper-2024")

#: cwmb-v1 tolerance for float states and for rewards (Gymnasium's `data_equivalence` default).
CWMB_V1_RTOL = 1e-5
CWMB_V1_ATOL = 1e-5

#: paper-2024 tolerance for float ("continuous") states: the authors' `np.allclose(x, y, rtol=1e-05,
#: atol=1e-05)` in `simulator_cwm.py::check_transition_via_enum`. Their rewards are compared with `==`.
PAPER_2024_RTOL = 1e-5
PAPER_2024_ATOL = 1e-5

_NUMERIC_KINDS = "biuf"  # bool, signed and unsigned int, float: what a state or reward may hold


def _numeric_array(value: Any) -> np.ndarray | None:
    """`value` as a numeric numpy array, or None when it is not numbers (strings, None, ragged, ...)."""
    if isinstance(value, (str, bytes)) or value is None:
        return None
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # ragged nesting, objects refusing conversion
        return None
    return array if array.dtype.kind in _NUMERIC_KINDS else None


def _arrays_close(predicted: np.ndarray, expected: np.ndarray, exact: bool, rtol: float, atol: float) -> bool:
    if predicted.shape != expected.shape:  # never broadcast: (1,) is not a (4,) state
        return False
    if exact:
        return bool(np.array_equal(predicted, expected))
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.allclose(predicted, expected, rtol=rtol, atol=atol, equal_nan=False))


def states_equal(predicted: Any, expected: Any, *, exact: bool, rtol: float, atol: float) -> bool:
    """Whether a predicted state (or any nested numeric value) equals the expected one.

    Args:
        predicted: what the world model returned (any type; never trusted).
        expected: the dataset's value: a number, a numpy array, or a tuple/list of them (Blackjack).
        exact: compare values exactly (integer states: `EnvRecord.exact_state`); otherwise with
            ``np.allclose(predicted, expected, rtol=rtol, atol=atol)``.
        rtol: relative tolerance, scaled by ``|expected|`` (ignored when `exact`).
        atol: absolute tolerance (ignored when `exact`).

    Returns:
        True when shapes match and every element is equal (within tolerance); False otherwise,
        including for non-numeric, ragged, NaN or mis-shaped predictions. Never raises.
    """
    try:
        if isinstance(expected, (tuple, list)):
            if isinstance(predicted, (str, bytes)) or not hasattr(predicted, "__len__"):
                return False
            if len(predicted) != len(expected):
                return False
            return all(
                states_equal(p, e, exact=exact, rtol=rtol, atol=atol)
                for p, e in zip(predicted, expected)
            )
        expected_array = _numeric_array(expected)
        predicted_array = _numeric_array(predicted)
        if expected_array is None or predicted_array is None:
            return False
        return _arrays_close(predicted_array, expected_array, exact, rtol, atol)
    except Exception:  # a hostile object's __len__/__iter__/__array__ may raise anything
        return False


def elements_equal(predicted: Any, expected: Any, *, exact: bool, rtol: float, atol: float) -> np.ndarray:
    """Per-element version of `states_equal`, for the per-element state credit of `paper-2024`.

    As in the authors' code, an expected value with a length (a vector, a Blackjack tuple) is
    compared element by element, ``predicted[i]`` against ``expected[i]``; a scalar state (Taxi,
    CliffWalking) is one element.

    Returns:
        A bool array with one entry per element of `expected`. A prediction whose length differs
        from the expected one (or that has no length) gets every element False. (The authors' code
        raised on most such predictions, which scored the whole program 0, and compared only a
        prefix of a longer one.)
    """
    if not isinstance(expected, (tuple, list, np.ndarray)) or np.ndim(expected) == 0:
        return np.array([states_equal(predicted, expected, exact=exact, rtol=rtol, atol=atol)])
    n = len(expected)
    try:
        if isinstance(predicted, (str, bytes)) or not hasattr(predicted, "__len__") or len(predicted) != n:
            return np.zeros(n, dtype=bool)
        if isinstance(predicted, np.ndarray) and isinstance(expected, np.ndarray) and predicted.shape != expected.shape:
            return np.zeros(n, dtype=bool)
        return np.array(
            [states_equal(predicted[i], expected[i], exact=exact, rtol=rtol, atol=atol) for i in range(n)],
            dtype=bool,
        )
    except Exception:
        return np.zeros(n, dtype=bool)


def as_real(value: Any) -> float | None:
    """A predicted scalar as a float, or None when it is not one real number.

    Accepts Python and numpy numbers (bools included) and numeric arrays holding exactly one value
    (``np.array([r])``, which a world model computing from a shape-(1,) action easily returns).
    """
    if isinstance(value, (numbers.Real, np.bool_)):  # int, float, bool and numpy scalars
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in _NUMERIC_KINDS:
        return float(value.reshape(()))
    return None


def rewards_equal(predicted: Any, expected: float, *, exact: bool, rtol: float, atol: float) -> bool:
    """Whether a predicted reward equals the expected one.

    With `exact`, plain ``==`` on the float values: `paper-2024` compares against the reward as the
    data stores it (the authors' float32, widened exactly), so a float64 reward computed by a
    correct model almost never matches. Otherwise ``|predicted - expected| <= atol + rtol * |expected|``.
    Never raises; a non-number, a NaN or an array of several values is not equal.
    """
    value = as_real(predicted)
    if value is None:
        return False
    if exact:
        return value == float(expected)
    return bool(np.isclose(value, float(expected), rtol=rtol, atol=atol, equal_nan=False))


def dones_equal(predicted: Any, expected: bool) -> bool:
    """Whether a predicted done flag equals the expected one.

    A flag is a bool, or a number that is exactly 0 or 1 (``1 == True`` in Python, as the authors'
    ``pred_done == done`` accepted). Anything else (``None``, ``0.5``, ``"False"``) is not equal.
    """
    value = as_real(predicted)
    if value is None or value not in (0.0, 1.0):
        return False
    return bool(value) == bool(expected)
