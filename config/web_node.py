"""The ``[web]`` table of the hall file: where the staff console listens and who may reach it.

::

    [web]
    bind = "0.0.0.0"
    port = 8080
    staff_networks = ["192.168.10.0/24"]   # the staff LAN; empty: every network
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import Field, field_validator

from config.base import ConfigModel, Word


class WebSettings(ConfigModel):
    """The staff console (``callnext web``)."""

    bind: Word = "0.0.0.0"
    """Interface the console listens on; 127.0.0.1 keeps it on this machine."""
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    staff_networks: Annotated[tuple[str, ...], Field(max_length=64)] = ()
    """CIDR networks the console answers (e.g. the staff LAN, ``"192.168.10.0/24"``); a page
    or request from any other address gets 403. Empty: every network (health checks always
    answer)."""
    public_url: Annotated[str, Field(max_length=255)] | None = None
    """The console's address as people type it (``http://hall-pc:8080/``), for printed
    instructions; None: worked out from bind and port."""

    @field_validator("staff_networks")
    @classmethod
    def _networks_parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for text in value:
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError as err:
                raise ValueError(f"{text!r} is not a CIDR network such as "
                                 f"\"192.168.10.0/24\" ({err})") from err
        return value

    def networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The staff networks, parsed (empty: every address is allowed)."""
        return tuple(ipaddress.ip_network(text, strict=False) for text in self.staff_networks)
