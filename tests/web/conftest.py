"""Fixtures of the console tests: one real broker (with staff) per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.web_fixtures import Hall_, running_hall


@pytest.fixture(scope="module")
def hall_(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall_]:
    """A broker on loopback at 09:00 on a working day, the demo staff added."""
    with running_hall(tmp_path_factory.mktemp("web")) as running:
        yield running
