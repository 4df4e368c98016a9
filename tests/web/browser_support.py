"""Real headless Chromium for the web tests (selenium with Debian's chromium-driver): where it
is, the skip mark when it is missing, and a driver with the flags the tests run it with."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
"""Where the browser tests write their screenshots (the docs show them)."""

NEEDS_CHROMIUM = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
    reason="chromium or chromedriver missing: apt-get install chromium chromium-driver "
           "(make test installs them)")


@contextlib.contextmanager
def chromium(*flags: str, mobile: dict[str, Any] | None = None) -> Iterator[Any]:
    """A headless Chromium driver with a fresh profile (removed after), plus ``flags`` and,
    given ``mobile``, chromedriver's mobile emulation (``deviceMetrics``, ``userAgent``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="callnext-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", *flags,
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if mobile is not None:
        options.add_experimental_option("mobileEmulation", mobile)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
