"""``[web] public_url``: what the tickets' QR codes hold, and when check-config warns."""

from __future__ import annotations

import pytest

from config.web_node import phone_url, public_url_warning


@pytest.mark.parametrize("url", ["http://192.168.20.2:8080/", "http://10.0.0.5",
                                 "https://queue.hall.example.cn/", "http://[fd00::5]:8080/"])
def test_addresses_phones_resolve_get_no_warning(url: str) -> None:
    assert public_url_warning(url) is None


@pytest.mark.parametrize(("url", "why"), [
    (None, "unset"), ("", "unset"), ("http://localhost:8080/", "cannot resolve"),
    ("http://127.0.0.1:8080/", "this machine only"), ("http://0.0.0.0:8080/", "this machine"),
    ("http://hall-pc.local:8080/", "mDNS"), ("http://hall-pc:8080/", "single-label"),
    ("192.168.20.2:8080", "not an http(s) address"), ("ftp://10.0.0.5/", "not an http(s)"),
])
def test_addresses_phones_cannot_open_are_warned_about(url: str | None, why: str) -> None:
    warning = public_url_warning(url)
    assert warning is not None and why in warning and "192.168.20.2" in warning


def test_the_qr_url_joins_public_url_and_the_token_with_one_slash() -> None:
    token = "q7Hc0Jm5Xn2pT8vLw1Zb9dKe"
    assert phone_url("http://10.0.0.5:8080/", token) == f"http://10.0.0.5:8080/t/{token}"
    assert phone_url("http://10.0.0.5:8080", token) == f"http://10.0.0.5:8080/t/{token}"
