"""The admin in a real browser: headless Chromium (Debian's chromium and chromedriver) driven by
Selenium against pytest-django's live server. Log in, list branches, open a commit and its
diff, create a branch, merge it. Each page is saved as a screenshot under
``test-artifacts/screenshots/`` (``PGGIT_ARTIFACTS`` overrides the folder)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from pggit import api
from pggit.models import Branch
from tests.helpers import ident, on_branch, run, table_columns

ARTIFACTS = Path(os.environ.get("PGGIT_ARTIFACTS", "test-artifacts")) / "screenshots"


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not (chromium and driver_path):
        pytest.fail(
            "the browser test needs Debian's chromium and chromium-driver: "
            "apt-get install chromium chromium-driver (.ci/ensure-chromium does it)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium  # given explicitly, Selenium Manager downloads nothing
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1440,900",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


class Pages:
    def __init__(self, driver: WebDriver, base_url: str):
        self.driver, self.base_url, self.shots = driver, base_url, 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def click_link(self, text: str) -> None:
        self.driver.find_element(By.LINK_TEXT, text).click()

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def wait_for_text(self, text: str) -> None:
        """Wait until the page shows ``text`` (case-insensitive: the admin's CSS upper-cases
        headings, and Selenium reads rendered text)."""
        # A poll can land while the next page replaces the body: that element is then stale.
        WebDriverWait(self.driver, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda driver: text.lower() in self.text().lower(), f"{text!r} never appeared"
        )

    def screenshot(self, name: str) -> Path:
        self.shots += 1
        path = ARTIFACTS / f"{self.shots:02d}-{name}.png"
        assert self.driver.save_screenshot(str(path)), f"could not save {path}"
        assert path.stat().st_size > 10_000, f"{path} looks empty"
        return path


def test_log_in_browse_create_and_merge_a_branch(live_server, browser, django_user_model, unique):
    django_user_model.objects.create_superuser("browser", "browser@example.com", "s3cret-browser")
    table = ident("web", unique)
    api.commit("Baseline")
    run(f"CREATE TABLE {table} (id int PRIMARY KEY, title text)")
    created = api.commit(f"Add {table}")
    pages = Pages(browser, live_server.url)

    # log in
    # searched, so main is on the first page whatever branches earlier tests left behind
    pages.open("/admin/login/?next=/admin/pggit/branch/%3Fq%3Dmain")
    browser.find_element(By.NAME, "username").send_keys("browser")
    browser.find_element(By.NAME, "password").send_keys("s3cret-browser")
    pages.screenshot("login")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

    # the branch list
    pages.wait_for_text("ahead / behind main")
    assert "main" in pages.text()
    pages.screenshot("branch-list")

    # main's page, then the commit and its diff against the parent
    pages.click_link("main")
    pages.wait_for_text("Commits on this branch")
    pages.screenshot("branch-main")
    pages.click_link(created.short_hash)
    pages.wait_for_text("Diff against the parent")
    diff = browser.find_element(By.CSS_SELECTOR, "#pggit-diff pre.pggit-sql")
    assert f"CREATE TABLE {table}" in diff.text
    assert diff.find_elements(By.CSS_SELECTOR, "span.k"), "SQL keywords are highlighted"
    browser.execute_script("arguments[0].scrollIntoView()", diff)
    pages.screenshot("commit-diff")

    # create a branch from the list page
    name = unique("feature/web")
    pages.open("/admin/pggit/branch/")
    browser.find_element(By.ID, "pggit-create-branch").click()
    browser.find_element(By.NAME, "name").send_keys(name)
    Select(browser.find_element(By.NAME, "from_branch")).select_by_value("main")
    pages.screenshot("create-branch")
    browser.find_element(By.CSS_SELECTOR, "#pggit-create-form input[type=submit]").click()
    pages.wait_for_text(f"Branch '{name}' created")
    assert Branch.objects.filter(name=name, status="ACTIVE").exists()

    # someone works on the branch ...
    on_branch(
        name,
        f"ALTER TABLE {table} ADD COLUMN published boolean NOT NULL DEFAULT false",
        message="Publishing flag",
    )

    # ... and it is merged from its page: preview, then confirm
    browser.refresh()
    browser.find_element(By.ID, "pggit-merge").click()
    pages.wait_for_text("Preview: fast-forward")
    preview = browser.find_element(By.ID, "pggit-preview-ddl").text
    assert f"ALTER TABLE {table} ADD COLUMN published boolean DEFAULT false NOT NULL" in preview
    pages.screenshot("merge-preview")
    assert "published" not in table_columns("public", table)
    browser.find_element(By.CSS_SELECTOR, "#pggit-merge-form input[type=submit]").click()
    pages.wait_for_text(f"Merged '{name}' into 'main': fast-forward")
    pages.screenshot("merged")
    assert "published" in table_columns("public", table)
    assert Branch.objects.filter(name=name).latest("id").status == "MERGED"


def test_commit_graph_in_the_browser(live_server, browser, django_user_model, unique):
    """The history graph as Chromium draws it: an SVG with a circle per commit, a line per
    edge, lanes for the branches, the current branch's head marked; a hash opens its commit,
    whose page shows the same graph with the commit highlighted."""
    django_user_model.objects.create_superuser("grapher", "g@example.com", "s3cret-graph")
    release = unique("release")
    api.commit("Base schema")
    features = [unique(f"feature/{n}") for n in ("search", "billing", "audit")]
    for name in features:
        api.create_branch(name)
    api.commit("Add search index", branch=features[0])
    api.commit("Billing tables", branch=features[1])
    api.commit("Tune autovacuum")
    api.commit("Search ranking", branch=features[0])
    api.merge(features[0], "main", message=f"Merge {features[0]}")
    api.commit("Audit log", branch=features[2])
    api.commit("Invoice numbers", branch=features[1])
    api.merge(features[1], "main", message=f"Merge {features[1]}")
    api.create_branch(release)
    api.commit("Release notes", branch=release)
    api.commit("Audit retention", branch=features[2])
    expected = api.graph("main")
    pages = Pages(browser, live_server.url)
    pages.open("/admin/login/?next=/admin/pggit/commit/graph/%3Fbranch%3Dmain")
    browser.find_element(By.NAME, "username").send_keys("grapher")
    browser.find_element(By.NAME, "password").send_keys("s3cret-graph")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    pages.wait_for_text("History of main")

    svg = browser.find_element(By.CSS_SELECTOR, "#pggit-graph svg.pggit-graph")
    nodes = svg.find_elements(By.CSS_SELECTOR, "circle.pggit-node")
    edges = svg.find_elements(By.CSS_SELECTOR, "path.pggit-edge")
    assert len(nodes) == len(expected.commits) == int(svg.get_attribute("data-rows"))
    assert len(edges) == int(svg.get_attribute("data-edges")) > len(nodes) - 1
    assert int(svg.get_attribute("data-lanes")) >= 2, "the merged branches got lanes"
    merges = svg.find_elements(By.CSS_SELECTOR, "circle.pggit-merge-node")
    assert len(merges) == sum(c.is_merge for c in expected.commits) >= 2  # ours, and any older
    assert {n.get_attribute("data-lane") for n in nodes} >= {"0", "1"}
    current = svg.find_element(By.CSS_SELECTOR, "g.pggit-ref-current")
    assert current.text == "HEAD → main" and current.is_displayed()
    assert svg.size["height"] >= 26 * len(nodes), "one row per commit, drawn"
    pages.screenshot("commit-graph-main")

    # all branches: the unmerged ones too
    pages.open("/admin/pggit/commit/graph/")
    pages.wait_for_text("All branches")
    labels = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "svg.pggit-graph g.pggit-ref")]
    assert release in labels and features[2] in labels
    shot = pages.screenshot("commit-graph")
    # the graph alone, as docs/img/admin-commit-graph.png shows it
    fieldset = browser.find_element(By.ID, "pggit-graph")
    assert fieldset.screenshot(str(shot.with_name(f"{shot.stem}-only.png")))

    # a hash opens its commit; its page shows the graph with that commit highlighted
    merge_hash = next(c for c in expected.commits if c.is_merge).short_hash
    browser.find_element(By.XPATH, f"//*[local-name()='tspan'][text()='{merge_hash}']").click()
    pages.wait_for_text("Diff against the parent")
    selected = browser.find_element(By.CSS_SELECTOR, "#pggit-graph svg rect.pggit-selected")
    assert selected.is_displayed()
    pages.screenshot("commit-graph-selected")
