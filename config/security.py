"""The ``[security]`` table of the hall file: where the keys are, who may do what, how often.

Every node has a CURVE keypair named after the node (``kiosk-1``, ``caller-3``,
``admin``...). The broker turns the key a request arrived with into that name,
and the name into a role. Roles follow from the name by default, so a hall
needs no ``[security.roles]`` table unless a node has an unusual name::

    [security]
    keys_dir = "/etc/callnext/keys"

    [security.roles]
    "desk-pc" = { role = "caller", counter = 7 }
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from config.base import ConfigModel, NodeId, PathText

Role = Literal["kiosk", "display", "caller", "web", "admin"]
"""What a node is for; ``protocol`` ops are granted per role (see ``broker.security``).
``web`` is the staff console: it acts for the staff member (工号) named in each request."""

DEFAULT_KEYS_DIR = "/etc/callnext/keys"
"""Where ``callnext keys init`` puts the keys on an installed system."""

_CALLER_NAME = re.compile(r"^caller-(\d{1,3})$")
_WEB_NAME = re.compile(r"^web(-\d{1,3})?$")


class Grant(ConfigModel):
    """The role of one node; a caller also names the one counter it acts for."""

    role: Role
    counter: Annotated[int, Field(ge=1, le=999)] | None = None

    @model_validator(mode="after")
    def _counter_only_for_callers(self) -> Grant:
        if self.role == "caller" and self.counter is None:
            raise ValueError("a caller acts for one counter; add counter = N")
        if self.role != "caller" and self.counter is not None:
            raise ValueError(f"only a caller has a counter; remove counter from this {self.role}")
        return self


class Security(ConfigModel):
    """Authentication (CURVE keys), authorisation (roles) and request limits."""

    keys_dir: PathText = DEFAULT_KEYS_DIR
    """Directory made by ``callnext keys init``: ``NAME.key`` (public) and
    ``NAME.key_secret`` (secret, mode 0600) per node, ``broker`` included."""
    insecure: bool = False
    """Run without CURVE (no authentication, no encryption). Only for a closed test
    bench: any device on the network can then claim to be any node. The broker logs
    a warning on every start while this is on."""
    rate_per_second: Annotated[float, Field(gt=0, le=10000)] = 20.0
    """Requests each node may send per second, on average (the admin is not limited)."""
    rate_burst: Annotated[int, Field(ge=1, le=100000)] = 40
    """How many requests a node may send at once before the average applies."""
    roles: dict[NodeId, Grant] = {}
    """Roles of nodes whose names do not say them (``kiosk-*``, ``display-*``,
    ``caller-N``, ``web``/``web-N``, ``admin`` need no entry); an entry here overrides the name."""

    def grant_for(self, node: str) -> Grant | None:
        """The role of ``node``: configured, else derived from its name; None if neither."""
        configured = self.roles.get(node)
        if configured is not None:
            return configured
        return derived_grant(node)


def derived_grant(node: str) -> Grant | None:
    """The role a node's name implies: ``kiosk-*``, ``display-*``, ``caller-N``, ``web`` or
    ``web-N``, ``admin``."""
    if node == "admin":
        return Grant(role="admin")
    if _WEB_NAME.match(node) is not None:
        return Grant(role="web")
    caller = _CALLER_NAME.match(node)
    if caller is not None:
        number = int(caller.group(1))
        return Grant(role="caller", counter=number) if number >= 1 else None
    if node.startswith("kiosk-") and len(node) > len("kiosk-"):
        return Grant(role="kiosk")
    if node.startswith("display-") and len(node) > len("display-"):
        return Grant(role="display")
    return None
