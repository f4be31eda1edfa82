"""The static page in a real browser: headless Chromium, driven by Selenium through Debian's chromedriver.

It loads from a `file://` URL with no network and opens on the default protocol's scored split with
the headline Score column beside the sticky name column, at 1400 px and at 400 px (screenshots of both
are written to `$CWMB_SCREENSHOTS`, default a pytest temporary folder); references and reported rows
are unranked; secondary columns collapse; the per-environment matrix marks N/A and failures; each row
shows its date, harness, dataset, isolation, links and description; the CSV and JSON downloads hold
what is shown; the view is kept in the URL. `.ci/run` installs `chromium` and `chromium-driver`; where
they cannot be installed these tests skip and say why.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from leaderboard.build import build
from tests.leaderboard.results_factory import evaluated, populate

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: pip install -e '.[test]'")
pytest.importorskip("matplotlib")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--hide-scrollbars"]
WIDE, NARROW = 1400, 400

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason=f"Chromium or chromedriver not found ({CHROMIUM}, {CHROMEDRIVER}): install the Debian packages "
           "`chromium chromium-driver` (.ci/run does this as root when apt-get is available)",
)

# The populated store (`results_factory.populate`) under cwmb-v1: three ranked submissions, two references.
CWMB_V1_RUNS = ["cwmb-v1__alpha__seed-0", "cwmb-v1__beta__seed-0", "cwmb-v1__a-b-script-alert-1-script__seed-0",
                "cwmb-v1__exact__seed-0", "cwmb-v1__oracle__seed-0"]


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """The built page of a populated store."""
    root = tmp_path_factory.mktemp("page")
    store = populate(root / "results")
    # A name a spreadsheet would run as a formula, ranked second under paper-2024.
    store.add_result(evaluated("=1+1 formula", protocol="paper-2024", normalised=0.2))
    build(store, root / "out")
    return root / "out" / "site" / "index.html"


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("CWMB_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser(tmp_path_factory, downloads):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def loaded(browser, page):
    """The page, freshly loaded with no fragment, in a 1400 px wide viewport."""
    set_viewport(browser, WIDE)
    browser.get("about:blank")  # a fragment-only change would not reload the page
    browser.get(page.as_uri())
    return browser


def set_viewport(driver, width: int, height: int = 1000) -> None:
    """Make the page's viewport (not the window) `width` CSS px wide."""
    driver.set_window_size(width, height)
    inner = driver.execute_script("return window.innerWidth")
    driver.set_window_size(width + (width - inner), height)
    assert driver.execute_script("return window.innerWidth") == width


def run_ids(driver, table: str = "leaderboard") -> list[str]:
    return [tr.get_attribute("data-run") for tr in driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")]


def header_keys(driver) -> list[str]:
    return [th.get_attribute("data-key") for th in driver.find_elements(By.CSS_SELECTOR, "#leaderboard thead th")]


def column(driver, key: str) -> list[str]:
    return [td.text for td in driver.find_elements(By.CSS_SELECTOR, f'#leaderboard tbody td[data-key="{key}"]')]


def cell(driver, run: str, key: str):
    return driver.find_element(By.CSS_SELECTOR, f'#leaderboard tr[data-run="{run}"] td[data-key="{key}"]')


def choose(driver, name: str, value: str) -> None:
    Select(driver.find_element(By.ID, f"filter-{name}")).select_by_value(value)


def sort_by(driver, key: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f'#leaderboard th[data-key="{key}"] button').click()


def rect(driver, element) -> dict[str, float]:
    return driver.execute_script("return arguments[0].getBoundingClientRect().toJSON()", element)


def fragment(driver) -> str:
    return driver.execute_script("return location.hash")


def test_loads_from_a_file_with_no_errors_on_the_default_protocols_scored_split(loaded):
    assert loaded.current_url.startswith("file://") and loaded.title == "CWMB leaderboard"
    assert [e for e in loaded.get_log("browser") if e["level"] == "SEVERE"] == []
    assert Select(loaded.find_element(By.ID, "filter-protocol")).first_selected_option.text == "cwmb-v1"
    assert loaded.find_element(By.ID, "view-title").text == "cwmb-v1 · test split (scored)"
    assert run_ids(loaded) == CWMB_V1_RUNS  # one protocol only: never two "rank 1" rows
    assert loaded.find_element(By.ID, "count").text == "5 of 5 cwmb-v1 runs shown"
    assert fragment(loaded) == ""  # the default view has a plain URL


def test_references_and_reported_rows_are_marked_and_unranked(loaded):
    assert column(loaded, "rank") == ["1", "2", "3", "—", "—"]
    types = {r: loaded.find_element(By.CSS_SELECTOR, f'tr[data-run="{r}"]').get_attribute("data-type")
             for r in CWMB_V1_RUNS}
    assert list(types.values()) == ["submission"] * 3 + ["reference"] * 2
    exact = loaded.find_element(By.CSS_SELECTOR, 'tr[data-run="cwmb-v1__exact__seed-0"]')
    assert "reference" in exact.get_attribute("class").split() and "first-unranked" in exact.get_attribute("class")
    assert exact.find_element(By.CSS_SELECTOR, ".badge").text == "reference"
    # the oracle scores 1.0, above every submission, and is still not ranked
    assert cell(loaded, "cwmb-v1__oracle__seed-0", "score").text.startswith("1.00")
    choose(loaded, "rows", "submissions")
    assert run_ids(loaded) == CWMB_V1_RUNS[:3]
    choose(loaded, "rows", "references")
    assert run_ids(loaded) == CWMB_V1_RUNS[3:]
    choose(loaded, "protocol", "paper-2024")
    choose(loaded, "rows", "reported")
    reported = run_ids(loaded)
    assert len(reported) == 3 and set(column(loaded, "rank")) == {"—"}
    assert {b.text for b in loaded.find_elements(By.CSS_SELECTOR, "#leaderboard .badge")} == {
        "reported (Table 2)", "reported (Table 11)", "reported (Table 12)"}


def test_the_headline_score_fits_1400_px_with_sticky_names(loaded, screenshots):
    keys = header_keys(loaded)
    assert keys[:4] == ["rank", "name", "score", "accuracy"]
    score = loaded.find_element(By.CSS_SELECTOR, '#leaderboard th[data-key="score"]')
    assert score.text.startswith("Score") and "mean norm. return, all envs" in score.text
    assert "headline" in score.get_attribute("class")
    assert cell(loaded, "cwmb-v1__alpha__seed-0", "score").text.splitlines() == ["0.90", "[0.90, 0.90]"]
    scroller = loaded.find_element(By.ID, "table-view")
    # the default columns fit: no sideways scrolling at 1400 px
    assert loaded.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", scroller)
    assert rect(loaded, score)["right"] <= WIDE
    loaded.save_screenshot(str(screenshots / "leaderboard-1400.png"))
    # the secondary columns are collapsed; expanded, the table scrolls and the names stay put
    assert not {"harness", "isolation", "files", "description"} & set(keys)
    loaded.find_element(By.ID, "more-columns").click()
    assert {"harness", "dataset", "isolation", "files", "description", "seed"} <= set(header_keys(loaded))
    assert "more=1" in fragment(loaded)
    name = cell(loaded, "cwmb-v1__alpha__seed-0", "name")
    before = rect(loaded, name)["left"]
    loaded.execute_script("arguments[0].scrollLeft = arguments[0].scrollWidth", scroller)
    assert loaded.execute_script("return arguments[0].scrollLeft", scroller) > 0
    assert rect(loaded, name)["left"] == pytest.approx(before, abs=1)
    loaded.find_element(By.ID, "more-columns").click()
    assert "harness" not in header_keys(loaded)


def test_at_400_px_the_name_and_score_columns_are_on_screen(loaded, screenshots):
    set_viewport(loaded, NARROW, 900)
    try:
        score = loaded.find_element(By.CSS_SELECTOR, '#leaderboard th[data-key="score"]')
        name = loaded.find_element(By.CSS_SELECTOR, '#leaderboard th[data-key="name"]')
        assert 0 <= rect(loaded, name)["left"] and rect(loaded, score)["right"] <= NARROW
        assert loaded.execute_script("return document.documentElement.scrollWidth") <= NARROW  # the page itself fits
        controls = loaded.find_element(By.ID, "filter-protocol")
        assert rect(loaded, controls)["right"] <= NARROW
        loaded.save_screenshot(str(screenshots / "leaderboard-400.png"))
        scroller = loaded.find_element(By.ID, "table-view")
        loaded.execute_script("arguments[0].scrollLeft = 10000", scroller)  # read the rest sideways
        assert loaded.execute_script("return arguments[0].scrollLeft", scroller) > 0
        assert rect(loaded, name)["left"] >= 0 and rect(loaded, name)["right"] <= NARROW / 2
    finally:
        set_viewport(loaded, WIDE)


def test_each_row_shows_date_versions_isolation_links_and_description(loaded):
    assert column(loaded, "evaluated") == ["2026-11-26"] * 5
    alpha = cell(loaded, "cwmb-v1__alpha__seed-0", "name")
    assert "GIF-MCTS with a small model, 10 calls per environment." in alpha.text
    assert cell(loaded, "cwmb-v1__exact__seed-0", "name").find_element(
        By.CSS_SELECTOR, ".description").get_attribute("title").startswith("Hand-written code world models")
    loaded.find_element(By.ID, "more-columns").click()
    assert column(loaded, "harness") == ["0.1.0"] * 5
    assert column(loaded, "dataset") == ["f" * 12] * 5
    assert column(loaded, "isolation") == ["bubblewrap"] * 5
    links = cell(loaded, "cwmb-v1__exact__seed-0", "files").find_elements(By.TAG_NAME, "a")
    assert [a.text for a in links] == ["result", "submission"]
    assert links[0].get_attribute("href").endswith("/results/cwmb-v1__exact__seed-0.json")
    assert links[1].get_attribute("href").endswith("/submissions/exact/")
    assert [a.text for a in cell(loaded, "cwmb-v1__alpha__seed-0", "files").find_elements(By.TAG_NAME, "a")] == [
        "result"]  # alpha has no folder in submissions/
    assert cell(loaded, "cwmb-v1__alpha__seed-0", "description").text.startswith("GIF-MCTS")


def test_the_matrix_colours_values_and_marks_na_and_failures(loaded):
    choose(loaded, "view", "matrix")
    assert loaded.find_element(By.ID, "matrix").is_displayed() and not loaded.find_element(By.ID, "leaderboard").is_displayed()
    assert run_ids(loaded, "matrix") == CWMB_V1_RUNS
    envs = [th.get_attribute("data-env") for th in loaded.find_elements(By.CSS_SELECTOR, "#matrix th.env")]
    assert len(envs) == 18 and envs[0] == "Blackjack-v1"

    def matrix_cell(run: str, env_id: str):
        return loaded.find_element(By.CSS_SELECTOR, f'#matrix tr[data-run="{run}"] td[data-env="{env_id}"]')

    failed = matrix_cell("cwmb-v1__beta__seed-0", "Ant-v5")
    assert "failed" in failed.get_attribute("class") and failed.text.split() == ["failed", "timeout"]
    high, low = matrix_cell("cwmb-v1__alpha__seed-0", "Taxi-v4"), matrix_cell(CWMB_V1_RUNS[2], "Taxi-v4")
    assert (high.text, low.text) == ("0.90", "0.10")
    background = [c.value_of_css_property("background-color") for c in (high, low)]
    assert background[0] != background[1]
    assert "reference" in loaded.find_element(By.CSS_SELECTOR, '#matrix tr[data-run="cwmb-v1__exact__seed-0"]') \
        .get_attribute("class")
    choose(loaded, "metric", "accuracy")
    assert matrix_cell("cwmb-v1__beta__seed-0", "Taxi-v4").text == "0.95"
    choose(loaded, "metric", "normalised_return")
    choose(loaded, "protocol", "paper-2024")
    na = matrix_cell("paper-2024__alpha__seed-0", "MountainCar-v0")
    assert "na" in na.get_attribute("class").split() and na.text == "N/A"
    assert "oracle no better than random" in na.get_attribute("title")
    choose(loaded, "action", "discrete")
    assert len(loaded.find_elements(By.CSS_SELECTOR, "#matrix th.env")) == 6
    legend = loaded.find_element(By.ID, "matrix-legend").text
    assert "N/A" in legend and "failed, with its category" in legend


def wait_for_download(folder: Path, name: str) -> Path:
    """The downloaded file once Chromium has finished writing it (it may appear empty first)."""
    path = folder / name
    deadline = time.monotonic() + 20
    last_size = -1
    while time.monotonic() < deadline:
        partial = any(p.suffix == ".crdownload" for p in folder.iterdir())
        size = path.stat().st_size if path.exists() else -1
        if size > 0 and size == last_size and not partial:
            return path
        last_size = size
        time.sleep(0.2)
    raise AssertionError(f"{name} was not downloaded into {folder}: {sorted(p.name for p in folder.iterdir())}")


def test_csv_and_json_downloads_hold_what_is_shown(loaded, downloads):
    choose(loaded, "rows", "submissions")
    loaded.find_element(By.ID, "download-csv").click()
    table = list(csv.DictReader(io.StringIO(
        wait_for_download(downloads, "cwmb-leaderboard-cwmb-v1-scored-table.csv").read_text(encoding="utf-8"))))
    assert [r["run"] for r in table] == CWMB_V1_RUNS[:3]
    assert list(table[0])[:8] == ["protocol", "split", "run", "type", "rank", "name", "score", "score.low"]
    assert float(table[0]["score"]) == pytest.approx(0.9) and float(table[0]["score.low"]) == pytest.approx(0.9)
    assert (table[0]["split"], table[0]["evaluated"]) == ("test", "2026-11-26")
    assert "harness" not in table[0]  # collapsed columns are not shown, so not downloaded
    assert table[2]["name"] == "a|b <script>alert(1)</script>"

    loaded.find_element(By.ID, "download-json").click()
    records = json.loads(wait_for_download(downloads, "cwmb-leaderboard-cwmb-v1-scored-table.json").read_text())
    assert [r["run"] for r in records] == CWMB_V1_RUNS[:3] and records[0]["score"] == pytest.approx(0.9)

    choose(loaded, "rows", "all")
    choose(loaded, "view", "matrix")
    choose(loaded, "action", "continuous")
    loaded.find_element(By.ID, "download-csv").click()
    matrix = list(csv.DictReader(io.StringIO(
        wait_for_download(downloads, "cwmb-leaderboard-cwmb-v1-scored-matrix.csv").read_text(encoding="utf-8"))))
    assert [r["run"] for r in matrix] == CWMB_V1_RUNS
    assert "Taxi-v4" not in matrix[0] and matrix[1]["Ant-v5"] == "failed (timeout)" and matrix[0]["Ant-v5"] == "0.9"
    assert matrix[0]["metric"] == "normalised_return"

    choose(loaded, "view", "table")
    choose(loaded, "protocol", "paper-2024")
    choose(loaded, "rows", "submissions")
    loaded.find_element(By.ID, "download-csv").click()
    paper = list(csv.DictReader(io.StringIO(
        wait_for_download(downloads, "cwmb-leaderboard-paper-2024-scored-table.csv").read_text(encoding="utf-8"))))
    assert [(r["rank"], r["name"]) for r in paper] == [("1", "alpha"), ("2", "'=1+1 formula")]  # text, not a formula


def test_the_view_is_kept_in_the_url(loaded, page):
    choose(loaded, "protocol", "paper-2024")
    choose(loaded, "view", "matrix")
    view = fragment(loaded)
    assert "protocol=paper-2024" in view and "view=matrix" in view
    linked = loaded.current_url
    loaded.get("about:blank")
    loaded.get(linked)  # a fresh load of the linked view
    assert Select(loaded.find_element(By.ID, "filter-protocol")).first_selected_option.text == "paper-2024"
    assert loaded.find_element(By.ID, "matrix").is_displayed()
    assert loaded.find_element(By.ID, "view-title").text == "paper-2024 · train split (scored) · normalised return per environment"
    loaded.get(page.as_uri() + "#split=train&rows=references&sort=name&dir=-1")
    assert run_ids(loaded) == ["cwmb-v1__oracle__seed-0", "cwmb-v1__exact__seed-0"]
    loaded.get(page.as_uri() + "#protocol=no-such&view=<b>")  # unknown values fall back to the defaults
    assert loaded.find_element(By.ID, "view-title").text == "cwmb-v1 · test split (scored)"


def test_sorting_by_a_column_reorders_rows(loaded):
    before = run_ids(loaded)
    sort_by(loaded, "score")  # first click: best first, missing values last
    values = [float(v.split()[0]) for v in column(loaded, "score") if v != "\u2014"]
    assert run_ids(loaded) != before and values == sorted(values, reverse=True) and values[0] == 1.0
    header = loaded.find_element(By.CSS_SELECTOR, '#leaderboard th[data-key="score"]')
    assert header.get_attribute("aria-sort") == "descending" and "sort=score" in fragment(loaded)
    sort_by(loaded, "score")
    assert [float(v.split()[0]) for v in column(loaded, "score")] == sorted(values)
    sort_by(loaded, "name")
    names = [v.splitlines()[0] for v in column(loaded, "name")]
    assert names == loaded.execute_script("return arguments[0].slice().sort((a, b) => a.localeCompare(b))", names)


def test_filters_change_the_rows_and_columns(loaded):
    choose(loaded, "split", "train")
    assert loaded.find_element(By.ID, "view-title").text == "cwmb-v1 · train split"
    assert len(run_ids(loaded)) == 5
    choose(loaded, "action", "discrete")
    keys = header_keys(loaded)
    assert "discrete.normalised_return" not in keys and "continuous.normalised_return" not in keys
    score = loaded.find_element(By.CSS_SELECTOR, '#leaderboard th[data-key="score"]').text
    assert "discrete" in score
    choose(loaded, "protocol", "paper-2024")
    choose(loaded, "split", "test")  # the paper's rows have no test split
    assert run_ids(loaded) == ["paper-2024__alpha__seed-0", "paper-2024__1-1-formula__seed-0"]


def test_a_row_opens_its_per_env_detail(loaded):
    assert not loaded.find_element(By.ID, "detail").is_displayed()
    loaded.find_element(By.CSS_SELECTOR, '#leaderboard tbody tr[data-run="cwmb-v1__beta__seed-0"]').click()
    detail = loaded.find_element(By.ID, "detail")
    assert detail.is_displayed() and "beta" in detail.find_element(By.TAG_NAME, "h2").text
    assert "run=cwmb-v1__beta__seed-0" in fragment(loaded)
    assert len(detail.find_elements(By.CSS_SELECTOR, "#detail-envs tbody tr")) == 18
    ant = detail.find_element(By.CSS_SELECTOR, '#detail-envs tr[data-env="Ant-v5"]').text
    assert "failed" in ant and "timeout: step() took 2.1 s" in ant
    facts = detail.find_element(By.TAG_NAME, "dl").text
    assert "Sandbox isolation\nbubblewrap" in facts and "Evaluated\n2026-11-26T09:00:00Z" in facts
    choose(loaded, "action", "continuous")
    assert len(loaded.find_elements(By.CSS_SELECTOR, "#detail-envs tbody tr")) == 12


def test_plots_of_the_chosen_protocol_load_and_say_how_top_entries_are_chosen(loaded):
    plots = loaded.find_elements(By.CSS_SELECTOR, "#plots img")
    assert len(plots) == 4
    assert all(loaded.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
               for img in plots)
    shown = [img.get_attribute("src").rsplit("/", 1)[1] for img in plots if img.is_displayed()]
    assert shown == ["cwmb-v1-accuracy-vs-return.png", "cwmb-v1-top-per-env.png"]
    captions = [c.text for c in loaded.find_elements(By.CSS_SELECTOR, "#plots figcaption") if c.is_displayed()]
    assert "ranked submissions in rank order" in captions[1] and "error bars" in captions[0]
    choose(loaded, "protocol", "paper-2024")
    assert [img.get_attribute("src").rsplit("/", 1)[1] for img in plots if img.is_displayed()] == [
        "paper-2024-accuracy-vs-return.png", "paper-2024-top-per-env.png"]


def test_a_hostile_submission_name_is_shown_as_text(loaded):
    assert "a|b <script>alert(1)</script>" in [v.splitlines()[0] for v in column(loaded, "name")]
    assert loaded.execute_script("return document.querySelectorAll('script').length") == 2  # data + page script
