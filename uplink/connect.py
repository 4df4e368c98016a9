"""Opening the central connection: moved to ``runtime.central_link`` so the web node's city
view (``web.city``) opens it the same way; these names stay for callers."""

from __future__ import annotations

from runtime.central_link import (APPLICATION_NAME, PasswordFileError, connect,
                                  connection_options, read_password)

__all__ = ["APPLICATION_NAME", "PasswordFileError", "connect", "connection_options",
           "read_password"]
