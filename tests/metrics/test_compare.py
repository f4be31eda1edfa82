"""The comparator: explicit tolerances, exact integer states, tuples, and no exceptions on bad input."""

import numpy as np
import pytest

from cwmb.metrics.compare import (
    CWMB_V1_ATOL,
    CWMB_V1_RTOL,
    PAPER_2024_ATOL,
    PAPER_2024_RTOL,
    dones_equal,
    elements_equal,
    rewards_equal,
    states_equal,
)

V1 = {"exact": False, "rtol": CWMB_V1_RTOL, "atol": CWMB_V1_ATOL}
EXACT = {"exact": True, "rtol": CWMB_V1_RTOL, "atol": CWMB_V1_ATOL}


def test_named_tolerances():
    assert CWMB_V1_RTOL == CWMB_V1_ATOL == 1e-5
    assert PAPER_2024_RTOL == PAPER_2024_ATOL == 1e-5  # the authors' np.allclose for float states


@pytest.mark.parametrize(
    "relative, equal",
    [(0.0, True), (0.5e-5, True), (1e-5, True), (1e-4, False), (1e-3, False), (-1e-3, False)],
)
def test_relative_tolerance_boundary(relative, equal):
    expected = np.array([1000.0, -2000.0, 500.0], dtype=np.float32)
    predicted = expected.astype(np.float64) * (1 + relative)
    assert states_equal(predicted, expected, **V1) is equal


@pytest.mark.parametrize("offset, equal", [(9e-6, True), (2e-5, False)])
def test_absolute_tolerance_near_zero(offset, equal):
    expected = np.zeros(3)
    assert states_equal(expected + offset, expected, **V1) is equal


def test_tolerance_scales_with_the_expected_value_not_the_prediction():
    # |p - e| <= atol + rtol * |e|: 1e-5 + 1e-5 * 1 = 2e-5 allowed around e = 1.
    assert states_equal(np.array([1.0 + 1.9e-5]), np.array([1.0]), **V1)
    assert not states_equal(np.array([1.0 + 2.1e-5]), np.array([1.0]), **V1)


def test_exact_comparison_ignores_tolerance():
    assert not states_equal(np.array([3.000001]), np.array([3.0]), **EXACT)
    assert states_equal(np.array([3.0]), np.array([3]), **EXACT)


@pytest.mark.parametrize(
    "predicted, equal",
    [(7, True), (np.int64(7), True), (7.0, True), (np.array(7), True), (8, False), (7.000001, False)],
    ids=["int", "np.int64", "float-equal", "0-d array", "wrong", "float-near"],
)
def test_integer_states_are_exact(predicted, equal):
    assert states_equal(predicted, 7, **EXACT) is equal


@pytest.mark.parametrize(
    "predicted, equal",
    [
        ((21, 5, 0), True),
        ([21, 5, 0], True),
        (np.array([21, 5, 0]), True),
        ((np.int64(21), 5, False), True),
        ((21, 5, 1), False),
        ((21.000001, 5, 0), False),
        ((21, 5), False),
        ((21, 5, 0, 0), False),
        (((21, 5), 0), False),
        (21, False),
    ],
)
def test_blackjack_tuples_compared_exactly(predicted, equal):
    assert states_equal(predicted, (21, 5, 0), **EXACT) is equal


@pytest.mark.parametrize(
    "predicted",
    [
        np.zeros(1),  # would broadcast against (4,) in np.allclose
        np.zeros((4, 1)),
        np.zeros(5),
        0.0,
        None,
        "0 0 0 0",
        [0.0, [0.0, 0.0], 0.0],
        {"a": 1, "b": 2, "c": 3, "d": 4},
        object(),
        np.array(["0", "0", "0", "0"]),
    ],
    ids=["(1,)", "(4,1)", "(5,)", "scalar", "None", "str", "ragged", "dict", "object", "str-array"],
)
def test_bad_predictions_are_unequal_and_never_raise(predicted):
    expected = np.zeros(4)
    assert states_equal(predicted, expected, **V1) is False
    assert elements_equal(predicted, expected, **V1).tolist() == [False] * 4


def test_nan_is_never_equal():
    predicted, expected = np.array([0.0, np.nan, 0.0, 0.0]), np.zeros(4)
    assert states_equal(predicted, expected, **V1) is False
    assert states_equal(predicted, np.array([0.0, np.nan, 0.0, 0.0]), **EXACT) is False
    assert elements_equal(predicted, expected, **V1).tolist() == [True, False, True, True]


def test_hostile_len_does_not_raise():
    class Hostile:
        def __len__(self):
            raise RuntimeError("boom")

    assert states_equal(Hostile(), (1, 2, 3), **EXACT) is False
    assert elements_equal(Hostile(), (1, 2, 3), **EXACT).tolist() == [False, False, False]


def test_elements_equal_gives_per_element_credit():
    expected = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
    predicted = np.array([1.0, 2.5, 3.0 + 1e-7, 0.0])
    assert elements_equal(predicted, expected, **V1).tolist() == [True, False, True, False]
    assert elements_equal((21, 4, 0), (21, 5, 0), **EXACT).tolist() == [True, False, True]
    assert elements_equal(np.int64(12), 12, **EXACT).tolist() == [True]  # a scalar state is one element
    assert elements_equal(13, 12, **EXACT).tolist() == [False]


def test_rewards_exact_against_float32_storage():
    stored = float(np.float32(0.1))  # how the authors' buffers hold 0.1
    assert not rewards_equal(0.1, stored, exact=True, rtol=0.0, atol=0.0)
    assert rewards_equal(np.float32(0.1), stored, exact=True, rtol=0.0, atol=0.0)
    assert rewards_equal(0.1, stored, exact=False, rtol=CWMB_V1_RTOL, atol=CWMB_V1_ATOL)


@pytest.mark.parametrize(
    "predicted, equal",
    [(-1.5, True), (np.float32(-1.5), True), (np.array([-1.5]), True), (np.array([[-1.5]]), True),
     (np.array([-1.5, -1.5]), False), ("-1.5", False), (None, False), (float("nan"), False), (-1.6, False)],
    ids=["float", "float32", "(1,)", "(1,1)", "(2,)", "str", "None", "nan", "wrong"],
)
def test_reward_types(predicted, equal):
    assert rewards_equal(predicted, -1.5, exact=False, rtol=CWMB_V1_RTOL, atol=CWMB_V1_ATOL) is equal


@pytest.mark.parametrize(
    "predicted, expected, equal",
    [(True, True, True), (False, False, True), (np.bool_(True), True, True), (1, True, True), (0, False, True),
     (np.array([True]), True, True), (True, False, False), (0.5, False, False), (None, False, False),
     ("False", False, False), (2, True, False)],
)
def test_done_flags(predicted, expected, equal):
    assert dones_equal(predicted, expected) is equal
