"""The ``[web]`` table of the hall file: where the staff console listens and who may reach it.

::

    [web]
    bind = "0.0.0.0"
    port = 8080
    staff_networks = ["192.168.10.0/24"]   # the staff LAN; empty: every network
    city_managers = ["9001"]               # 工号 of managers who may open the city view

The city role is a list of staff ids here rather than a field of the staff record: the staff
records live in the broker's journal (a new field would change an op, the journal and every
hall's records), while the city view is a web-node page that only exists where ``[central]``
is set; the hall's administrator, who writes ``[central]``, names the few city managers
beside it.
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
    """The console's address as people and phones reach it on the visitor Wi-Fi
    (``http://192.168.20.2:8080/``): tickets' QR codes hold it + ``/t/<token>`` (the visitor's
    phone page); None: the QR code holds the kiosk's ``qr_template`` and ``check-config``
    warns."""

    city_managers: Annotated[tuple[Annotated[str, Field(pattern=r"^[0-9]{1,16}$")], ...],
                             Field(max_length=256)] = ()
    """工号 of the managers who may open the city view (``/city``, needs ``[central]``); they
    must also have the manager role. Empty: nobody."""

    visitor_rate_per_second: Annotated[float, Field(gt=0, le=10000)] = 1.0
    """Requests one address may keep up on the visitors' phone pages (429 beyond)."""
    visitor_burst: Annotated[int, Field(ge=1, le=100000)] = 30
    """Requests one address may make at once on the phone pages (a page load is about 4)."""
    visitor_lookups_per_second: Annotated[float, Field(gt=0, le=10000)] = 5.0
    """New phone tokens asked of the broker per second, from all addresses together, so that
    guessers cannot use up the console's broker quota (``[security] web_rate_per_second``)."""

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


def phone_url(public_url: str, token: str) -> str:
    """What a ticket's QR code holds for the visitor's phone: ``public_url`` + ``/t/<token>``."""
    return f"{public_url.rstrip('/')}/t/{token}"


def public_url_warning(public_url: str | None) -> str | None:
    """Why phones may not open the tickets' QR codes with this ``[web] public_url``, or None.

    Phones on the visitor Wi-Fi resolve an IP address, or a dotted name the Wi-Fi's DNS knows;
    ``localhost``, loopback and ``.local`` (mDNS: many Android phones do not resolve it) fail,
    and a single-label name works only where the Wi-Fi's DNS serves it.
    """
    from urllib.parse import urlsplit

    example = "e.g. public_url = \"http://192.168.20.2:8080/\""
    if not public_url:
        return ("[web] public_url is unset: tickets' QR codes cannot lead visitors' phones to "
                f"their place in the queue; set the console's address on the visitor Wi-Fi, "
                f"{example}")
    parts = urlsplit(public_url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return f"[web] public_url {public_url!r} is not an http(s) address; {example}"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        if address.is_loopback or address.is_unspecified:
            return (f"[web] public_url {public_url!r} names this machine only; phones need the "
                    f"console's address on the visitor Wi-Fi, {example}")
        return None
    if host == "localhost" or host.endswith((".local", ".localhost")):
        return (f"[web] public_url {public_url!r}: phones cannot resolve {host!r} (loopback or "
                f"mDNS); use an IP address on the visitor Wi-Fi, {example}")
    if "." not in host:
        return (f"[web] public_url {public_url!r}: a single-label name resolves on phones only "
                f"if the visitor Wi-Fi's DNS serves it; prefer an IP address, {example}")
    return None
