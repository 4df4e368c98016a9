"""Real headless Chromium for the tests that look at pages (Debian's chromium and
chromium-driver, driven by selenium; installed by `make test-deps`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync")
MISSING = "chromium and chromium-driver are not installed (make test-deps)"


def available() -> bool:
    """Whether both the browser and its driver are installed."""
    return os.path.exists(CHROMIUM) and os.path.exists(DRIVER)


@contextlib.contextmanager
def headless_chromium(*flags: str, page_load_s: float = 30.0) -> Iterator[Any]:
    """A selenium driver on a fresh profile in a temporary folder, quit and removed after."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="callnext-chromium-")
    for flag in (*FLAGS, *flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(page_load_s)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
