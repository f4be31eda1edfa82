"""The graded metrics on the static page in a real browser (the fixtures and skips of `test_page_browser`):
the State error column sorts lower-is-better first; the matrix shows small errors with two digits."""

from __future__ import annotations

import pytest

from leaderboard.build import build
from leaderboard.store import Store
from tests.leaderboard.results_factory import REVISION, evaluated
from tests.leaderboard.test_graded_leaderboard import VECTOR_ENVS, with_graded
from tests.leaderboard.test_page_browser import (  # noqa: F401  (browser, downloads: fixtures; pytestmark: the skip)
    WIDE, By, browser, choose, column, downloads, pytestmark, run_ids, set_viewport, sort_by)


@pytest.fixture(scope="module")
def graded_page(tmp_path_factory):
    """A page with one run carrying graded metrics (small errors on Pendulum, none above the cap)."""
    root = tmp_path_factory.mktemp("graded-page")
    store = Store(root / "results", dataset_revision=REVISION)
    (root / "results").mkdir()
    store.add_result(with_graded(evaluated("graded", seed=1), dict.fromkeys(VECTOR_ENVS, 0.25) | {"Pendulum-v1": 1.2e-4}))
    store.add_result(with_graded(evaluated("worse", seed=2), dict.fromkeys(VECTOR_ENVS, 0.75)))
    build(store, root / "out")
    return root / "out" / "site" / "index.html"


def test_the_page_sorts_by_state_error_best_first_and_shows_it_per_environment(browser, graded_page):
    set_viewport(browser, WIDE)
    browser.get("about:blank")
    browser.get(graded_page.as_uri())
    sort_by(browser, "state_error")
    assert run_ids(browser) == ["cwmb-v1__graded__seed-1", "cwmb-v1__worse__seed-2"]  # lower is better
    assert [text.split("[")[0].strip() for text in column(browser, "state_error")] == ["0.23", "0.75"]
    choose(browser, "view", "matrix")
    choose(browser, "metric", "state_error")
    pendulum = browser.find_element(By.CSS_SELECTOR, '#matrix tr[data-run="cwmb-v1__graded__seed-1"] td[data-env="Pendulum-v1"]')
    assert pendulum.text == "1.2e-4"
    assert "0 (exact)" in browser.find_element(By.ID, "matrix-legend").text
