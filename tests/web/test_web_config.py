"""The hall file's ``[web]`` table: defaults, and a bad network said clearly."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from config.web_node import WebSettings
from tests.conftest import small_hall


def test_the_console_defaults_to_port_8080_on_every_network() -> None:
    web = small_hall().web
    assert (web.bind, web.port, web.staff_networks, web.networks()) == ("0.0.0.0", 8080, (), ())


def test_staff_networks_parse_as_cidr_and_a_typo_is_refused_with_an_example() -> None:
    web = WebSettings(staff_networks=("192.168.10.0/24", "fd00::/8"))
    assert ipaddress.ip_address("192.168.10.7") in web.networks()[0]
    with pytest.raises(ValidationError, match="192.168.10.0/24"):
        WebSettings(staff_networks=("192.168.10.0/33",))
