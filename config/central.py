"""The ``[central]`` table of the hall file: where the uplink ships the journal (issue #18).

::

    [central]
    hall_id = "sz-futian"                       # this hall's name in the city's database
    dsn = "host=db.city.example dbname=callnext user=hall_sz_futian"
    password_file = "/etc/callnext/central.password"   # mode 0600/0400, owner callnext
    sslmode = "verify-full"
    sslrootcert = "/etc/callnext/city-ca.pem"

No ``[central]`` table: the hall runs on its own and ``callnext uplink`` refuses to start.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from config.base import ConfigModel, PathText

SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
"""libpq's ``sslmode`` values; ``verify-full`` (the default) checks the server's name too."""

# A password written into the DSN would sit in a world-readable hall file.
_PASSWORD_IN_DSN = re.compile(r"(^|\s)password\s*=|://[^/@\s]*:[^/@\s]*@", re.IGNORECASE)


class CentralSettings(ConfigModel):
    """The hall's link to the city's central PostgreSQL (``callnext uplink``)."""

    hall_id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    """This hall's name in the central tables (one per hall, never reused)."""
    dsn: Annotated[str, Field(min_length=1, max_length=1024)]
    """libpq connection string or URI, without the password (see ``password_file``)."""
    password_file: PathText | None = None
    """File holding the database password; refused when its group or others may read it."""
    sslmode: SslMode = "verify-full"
    sslrootcert: PathText | None = None
    """The city's CA certificate (PEM); needed by ``verify-ca`` and ``verify-full``."""
    batch_size: Annotated[int, Field(ge=1, le=10000)] = 1000
    """Events per transaction on the central database."""
    poll_seconds: Annotated[float, Field(ge=0.01, le=60)] = 0.1
    """How often the journal is looked at for new events (bounds the shipping lag)."""
    backoff_max_seconds: Annotated[float, Field(ge=0.1, le=3600)] = 30.0
    """Longest pause between attempts while the central database cannot be reached."""
    health_after_seconds: Annotated[float, Field(ge=0, le=86400)] = 60.0
    """Failing this long, the uplink tells the broker (a ``node_health`` warning)."""
    connect_timeout_seconds: Annotated[int, Field(ge=1, le=600)] = 10

    @model_validator(mode="after")
    def _safe(self) -> CentralSettings:
        if _PASSWORD_IN_DSN.search(self.dsn):
            raise ValueError("the dsn must not carry the password (the hall file is readable "
                             "by every node); put it in a file named by password_file, mode 0600")
        if self.sslmode in ("verify-ca", "verify-full") and self.sslrootcert is None:
            raise ValueError(f"sslmode {self.sslmode!r} checks the server against the city's CA: "
                             "set sslrootcert to its PEM file (or choose sslmode = 'require')")
        return self
