"""The static page in a real browser: headless Chromium, driven by Selenium through Debian's chromedriver.

It loads from a `file://` URL with no network, shows one row per run, sorts when a header is clicked,
hides rows when a filter is set, and shows the per-env detail of a clicked run. `.ci/run` installs
`chromium` and `chromium-driver`; where they cannot be installed these tests skip and say why.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leaderboard.build import build
from tests.leaderboard.results_factory import populate

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: pip install -e '.[test]'")
pytest.importorskip("matplotlib")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--window-size=1600,1200"]

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason=f"Chromium or chromedriver not found ({CHROMIUM}, {CHROMEDRIVER}): install the Debian packages "
           "`chromium chromium-driver` (.ci/run does this as root when apt-get is available)",
)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[Path, int]:
    """The built page of a populated store, and how many runs it holds."""
    root = tmp_path_factory.mktemp("page")
    store = populate(root / "results")
    build(store, root / "out")
    return root / "out" / "site" / "index.html", len(store.paths())


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def loaded(browser, page):
    browser.get(page[0].as_uri())
    return browser


def run_ids(driver) -> list[str]:
    return [tr.get_attribute("data-run") for tr in driver.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")]


def column(driver, key: str) -> list[str]:
    headers = [th.get_attribute("data-key") for th in driver.find_elements(By.CSS_SELECTOR, "#leaderboard thead th")]
    index = headers.index(key)
    return [tr.find_elements(By.TAG_NAME, "td")[index].text
            for tr in driver.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")]


def sort_by(driver, key: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f'#leaderboard th[data-key="{key}"] button').click()


def test_loads_from_a_file_with_one_row_per_run_and_no_errors(loaded, page):
    assert loaded.current_url.startswith("file://")
    assert loaded.title == "CWMB leaderboard"
    assert len(run_ids(loaded)) == page[1] == 8
    assert loaded.find_element(By.ID, "count").text == "8 of 8 runs shown"
    errors = [entry for entry in loaded.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    labels = set(column(loaded, "label"))
    assert {"reproduced", "reproduced (reference)", "reported (Table 2)", "reported (Table 11)"} <= labels
    plots = loaded.find_elements(By.CSS_SELECTOR, "#plots img")
    assert len(plots) == 4
    assert all(loaded.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
               for img in plots)


def test_sorting_by_a_column_reorders_rows(loaded):
    before = run_ids(loaded)
    sort_by(loaded, "all.normalised_return")  # first click: best first, missing values last
    descending = run_ids(loaded)
    assert descending != before and sorted(descending) == sorted(before)
    values = [float(v.split()[0]) for v in column(loaded, "all.normalised_return") if v != "\u2014"]
    assert values == sorted(values, reverse=True) and values[0] == 1.0
    header = loaded.find_element(By.CSS_SELECTOR, '#leaderboard th[data-key="all.normalised_return"]')
    assert header.get_attribute("aria-sort") == "descending"
    sort_by(loaded, "all.normalised_return")
    ascending = [float(v.split()[0]) for v in column(loaded, "all.normalised_return") if v != "\u2014"]
    assert ascending == sorted(values)
    sort_by(loaded, "name")
    names = column(loaded, "name")
    assert names == loaded.execute_script("return arguments[0].slice().sort((a, b) => a.localeCompare(b))", names)


def test_filters_hide_rows(loaded):
    Select(loaded.find_element(By.ID, "filter-protocol")).select_by_value("cwmb-v1")
    assert set(column(loaded, "protocol")) == {"cwmb-v1"} and len(run_ids(loaded)) == 4
    Select(loaded.find_element(By.ID, "filter-protocol")).select_by_value("")
    Select(loaded.find_element(By.ID, "filter-kind")).select_by_value("reported")
    assert len(run_ids(loaded)) == 3 and all(label.startswith("reported") for label in column(loaded, "label"))
    Select(loaded.find_element(By.ID, "filter-kind")).select_by_value("")
    Select(loaded.find_element(By.ID, "filter-split")).select_by_value("test")  # the paper has no test split
    assert len(run_ids(loaded)) == 5 and set(column(loaded, "split")) == {"test"}  # all but the 3 reported
    Select(loaded.find_element(By.ID, "filter-split")).select_by_value("scored")
    Select(loaded.find_element(By.ID, "filter-action")).select_by_value("discrete")
    keys = [th.get_attribute("data-key") for th in loaded.find_elements(By.CSS_SELECTOR, "#leaderboard thead th")]
    assert "discrete.accuracy" in keys and "continuous.accuracy" not in keys
    assert loaded.find_element(By.ID, "count").text == "8 of 8 runs shown"


def test_a_row_opens_its_per_env_detail(loaded):
    assert not loaded.find_element(By.ID, "detail").is_displayed()
    beta = loaded.find_element(By.CSS_SELECTOR, '#leaderboard tbody tr[data-run="cwmb-v1__beta__seed-0"]')
    beta.click()
    detail = loaded.find_element(By.ID, "detail")
    assert detail.is_displayed() and "beta" in detail.find_element(By.TAG_NAME, "h2").text
    envs = detail.find_elements(By.CSS_SELECTOR, "#detail-envs tbody tr")
    assert len(envs) == 18
    ant = detail.find_element(By.CSS_SELECTOR, '#detail-envs tr[data-env="Ant-v5"]').text
    assert "failed" in ant and "timeout: step() took 2.1 s" in ant
    Select(loaded.find_element(By.ID, "filter-action")).select_by_value("continuous")
    assert len(loaded.find_elements(By.CSS_SELECTOR, "#detail-envs tbody tr")) == 12


def test_a_hostile_submission_name_is_shown_as_text(loaded):
    assert "a|b <script>alert(1)</script>" in column(loaded, "name")
    assert loaded.execute_script("return document.querySelectorAll('script').length") == 2  # data + page script
