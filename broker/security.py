"""Broker side of security: CURVE on both sockets (authentication) and roles (authorisation).

Authentication: ``CurveSecurity`` is the ``SocketSecurity`` that
``broker.sockets`` applies to the ROUTER and the PUB. A zmq.auth authenticator
(ZAP, in a thread of its own: ``broker.zap``) admits only clients whose public key
is one of the ``NAME.key`` files in the keys directory, and reports each admitted
client's key as the ZAP User-Id (pyzmq's ``curve_user_id`` default: the z85
public key). ``node_of`` turns that User-Id back into the node's name.

Authorisation: ``Access`` decides, for each request, whether the node may use
the op (and, for a caller, the counter), and whether it is within its rate.
With CURVE the node is the key's name and the envelope's ``node`` must match
it; in insecure mode the envelope's ``node`` is taken at its word, which any
device on the network can forge (see docs/security.md).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import zmq
from zmq.utils import z85

from broker.limits import RateLimiter
from broker.zap import ZapThreadAuthenticator
from foundation.errors import CallnextError
from config.schema import Hall
from config.security import Grant, Security, derived_grant
from protocol import errors
from protocol.envelope import MAX_BULK_FRAME_BYTES, MAX_FRAME_BYTES, Request
from protocol.registry import BULK_OPS, COUNTER_SCOPED_OPS, STAFFED_OPS, ops_for_role

log = logging.getLogger(__name__)
audit = logging.getLogger("broker.security.audit")

BROKER_KEY_NAME = "broker"

RATE_LOG_WINDOW_S = 10.0
"""A rate-limited node's refusals are logged once per this window, with their count."""
MAX_TRACKED_NODES = 1000
"""Nodes whose refusals are counted at once (insecure mode may see any number of names)."""

ROLE_OPS: dict[str, frozenset[str]] = {
    role: ops_for_role(role) for role in ("kiosk", "display", "caller", "web")}
"""Ops per role, from the op registry; ``admin`` may use every op."""


class SecurityError(CallnextError):
    """The broker's keys are missing or unusable; it does not start."""


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused before it reaches the queue rules."""

    code: str
    message: str


KEY_PREFIX_CHARS = 8
"""How much of a refused client's z85 public key the audit log shows (enough to tell keys
apart, and a public key is no secret anyway)."""


class AuditingAuthenticator(ZapThreadAuthenticator):
    """A ZAP authenticator that logs every refused handshake at INFO: peer address and key.

    libzmq hands ZAP the peer's IP address in each request; pyzmq's authenticator
    logs refusals only at DEBUG and without them. The thread answers one request
    at a time, so the request in hand is simply remembered until its reply.
    """

    _peer: tuple[str, str] = ("?", "?")

    async def handle_zap_message(self, msg: list[bytes]) -> None:
        """Remember who asks, then decide as pyzmq does."""
        address = msg[3].decode("utf-8", "replace") if len(msg) > 3 else "?"
        key = "?"
        if len(msg) > 6 and msg[5] == b"CURVE" and len(msg[6]) == 32:
            key = z85.encode(msg[6]).decode("ascii")[:KEY_PREFIX_CHARS] + "…"
        self._peer = (address or "?", key)
        await super().handle_zap_message(msg)

    def _send_zap_reply(self, request_id: bytes, status_code: bytes, status_text: bytes,
                        user_id: str = "anonymous") -> None:
        if status_code != b"200":
            address, key = self._peer
            audit.info("refused a CURVE handshake from %s with key %s (%s): not one of the "
                       "node keys in the keys directory", address, key,
                       status_text.decode("utf-8", "replace"))
        super()._send_zap_reply(request_id, status_code, status_text, user_id)


class CurveSecurity:
    """CURVE server settings plus a ZAP authenticator allowing the known node keys.

    Args:
        keys_dir: the broker's keys directory: ``broker.key_secret`` and one
            ``NAME.key`` per node (as made by ``callnext keys init``).

    Raises:
        SecurityError: the broker's keypair is missing or a key file is unreadable.
    """

    def __init__(self, keys_dir: str | Path) -> None:
        import zmq.auth

        self.keys_dir = Path(keys_dir)
        secret_file = self.keys_dir / f"{BROKER_KEY_NAME}.key_secret"
        if not secret_file.is_file():
            raise SecurityError(
                f"no broker key in {self.keys_dir} ({secret_file.name} is missing). Create the "
                f"keys with `callnext keys init --dir {self.keys_dir} --config HALL.toml`, pass "
                "--keys DIR, or run with --insecure on a closed test network only.")
        path = secret_file
        try:
            public, secret = zmq.auth.load_certificate(secret_file)
            self._nodes: dict[str, str] = {}
            for path in sorted(self.keys_dir.glob("*.key")):
                node_public, _ = zmq.auth.load_certificate(path)
                if path.stem != BROKER_KEY_NAME:
                    self._nodes[node_public.decode("ascii")] = path.stem
        except (OSError, ValueError) as err:
            raise SecurityError(unreadable_key_message(path, err)) from err
        if secret is None:
            raise SecurityError(f"{secret_file} holds no secret key; recreate it with "
                                "`callnext keys init --force --nodes broker`")
        self._public = public
        self._secret = secret
        self._auth: Any = None

    @property
    def node_names(self) -> list[str]:
        """The names of every node key the broker accepts."""
        return sorted(self._nodes.values())

    def apply_server(self, socket: zmq.Socket) -> None:
        """Make ``socket`` a CURVE server; the first call starts the authenticator.

        The authenticator must run before the first ``bind``, or early
        connections would be admitted without ZAP.
        """
        if self._auth is None:
            self._auth = AuditingAuthenticator(socket.context, log=logging.getLogger(
                "broker.security.zap"))
            self._auth.start()
            # Exactly the NAME.key files read above (same directory): a key that is
            # not there is refused during the handshake, before any message.
            self._auth.configure_curve(domain="*", location=str(self.keys_dir))
        socket.curve_secretkey = self._secret
        socket.curve_publickey = self._public
        socket.curve_server = True

    def node_of(self, user_id: str) -> str | None:
        """The node name of an admitted client, from its ZAP User-Id (z85 public key)."""
        return self._nodes.get(user_id)

    def close(self) -> None:
        """Stop the authenticator (before the context is terminated). Idempotent."""
        if self._auth is not None:
            self._auth.stop()
            self._auth = None


def unreadable_key_message(path: Path, err: Exception) -> str:
    """What to do about one key file the broker cannot read: the narrow fix, never all keys."""
    if isinstance(err, PermissionError):
        # As docs/install.md sets them up: secrets readable by the callnext group only.
        mode = "0640" if path.suffix == ".key_secret" else "0644"
        return (f"cannot read {path}: permission denied. The key is fine; let the broker's "
                f"user (group callnext) read it: `sudo chgrp callnext {path} && sudo chmod "
                f"{mode} {path}`, and let it into the directory: `sudo chgrp callnext "
                f"{path.parent} && sudo chmod 0750 {path.parent}`.")
    name = path.name.split(".")[0]
    after = ("every node then needs the new broker.key" if name == BROKER_KEY_NAME
             else f"copy the new {name}.key_secret to that node")
    return (f"cannot read {path}: {err}. Recreate only this keypair with `callnext keys init "
            f"--dir {path.parent} --nodes {name} --force` ({after}); other keys stay valid.")


def listed_grants(hall: Hall) -> dict[str, Grant]:
    """Roles of the nodes the hall file lists by id: ``[[kiosks]]`` and ``[[displays]]``.

    (``[[callers]]`` blocks are wiring shared by counters; a caller's identity is
    ``caller-N``.)
    """
    grants = {kiosk.id: Grant(role="kiosk") for kiosk in hall.kiosks}
    grants.update({display.id: Grant(role="display") for display in hall.displays})
    return grants


class Access:
    """Who may do what, and how often.

    Args:
        security: the hall's ``[security]`` table (roles, rates).
        authenticated: True when requests carry a CURVE-authenticated node name;
            False in insecure mode, where the envelope's ``node`` decides.
        listed: roles of nodes listed in the hall file (see ``listed_grants``).
        monotonic: clock of the rate limiter.
    """

    def __init__(self, security: Security, *, authenticated: bool,
                 listed: Mapping[str, Grant] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.security = security
        self.authenticated = authenticated
        self._listed = dict(listed or {})
        self._limiter = RateLimiter(security.rate_per_second, security.rate_burst, monotonic)
        self._web_limiter = RateLimiter(security.web_rate_per_second, security.web_rate_burst,
                                        monotonic)
        self._monotonic = monotonic
        self._warned: set[str] = set()
        # node -> (monotonic time its log window began, refusals not yet logged)
        self._limited: dict[str, tuple[float, int]] = {}

    def grant_for(self, node: str) -> Grant | None:
        """``[security.roles]`` first, then the hall's node tables, then the name."""
        configured = self.security.roles.get(node)
        if configured is not None:
            return configured
        return self._listed.get(node) or derived_grant(node)

    def admit(self, peer: str | None) -> Refusal | None:
        """Rate-limit an authenticated node before its frame is even decoded.

        With CURVE the sender is known before parsing, so a node flooding the
        broker with garbage costs a token per frame like any other request.
        """
        if not self.authenticated or peer is None:
            return None
        return self._rate(peer, self.grant_for(peer))

    def frame_limit(self, peer: str | None) -> int:
        """The largest request frame the broker parses from ``peer`` (before decoding).

        Only a node whose role may use a bulk op (the admin's imports) gets bulk frames
        parsed; any other key's large frame is refused unread, as before. In insecure
        mode anyone may claim to be the admin, so nothing is gained by asking.
        """
        if not self.authenticated:
            return MAX_BULK_FRAME_BYTES
        grant = self.grant_for(peer) if peer is not None else None
        if grant is not None and (grant.role == "admin" or BULK_OPS & ROLE_OPS[grant.role]):
            return MAX_BULK_FRAME_BYTES
        return MAX_FRAME_BYTES

    def _rate(self, node: str, grant: Grant | None) -> Refusal | None:
        # The admin key is the operators' own tooling (imports, scripts) and holds every
        # right anyway; the limit protects the hall from nodes on the public network.
        if grant is not None and grant.role == "admin":
            return None
        web = grant is not None and grant.role == "web"
        if (self._web_limiter if web else self._limiter).allow(node):
            return None
        self._log_limited(node)
        rate = self.security.web_rate_per_second if web else self.security.rate_per_second
        return Refusal(errors.RATE_LIMITED, (
            f"node {node!r} sent more than {rate:g} requests per "
            "second; slow down and retry in a moment"))

    def _log_limited(self, node: str) -> None:
        """One log line per node per window: a flooding node must not flood the log too."""
        now = self._monotonic()
        began, count = self._limited.get(node, (None, 0))
        if began is not None and now - began < RATE_LOG_WINDOW_S:
            self._limited[node] = (began, count + 1)
            return
        if count:
            self._log_count(node, count)
        log.warning("rate limited: node %s sent more than %g requests/s; further refusals "
                    "are counted and logged every %g s", node, self.security.rate_per_second,
                    RATE_LOG_WINDOW_S)
        if len(self._limited) < MAX_TRACKED_NODES or node in self._limited:
            self._limited[node] = (now, 0)

    def _log_count(self, node: str, count: int) -> None:
        log.warning("rate limited: node %s had %d more request(s) refused in %g s", node,
                    count, RATE_LOG_WINDOW_S)

    def summarise(self) -> None:
        """Log the counts of windows that have ended (the broker calls this on every tick)."""
        now = self._monotonic()
        for node, (began, count) in list(self._limited.items()):
            if now - began >= RATE_LOG_WINDOW_S:
                if count:
                    self._log_count(node, count)
                del self._limited[node]

    def grant(self, peer: str | None, request: Request) -> tuple[Grant | None, Refusal | None]:
        """The requester's role, or why the request is refused (identity, op; rate when insecure).

        Args:
            peer: the CURVE-authenticated node name (None in insecure mode).
            request: the decoded request.
        """
        if self.authenticated:
            if peer is None:
                return None, self._refuse(request, None, "the request did not come over an "
                                          "authenticated connection")
            if request.node != peer:
                return None, self._refuse(
                    request, None, f"the key of {peer!r} sent a request naming node "
                    f"{request.node!r}; a node must send under its own key's name")
            grant = self.grant_for(peer)
        else:
            grant = self.grant_for(request.node)
            if grant is None:
                # Insecure mode trusts every claim anyway (anyone may write "admin"); tools
                # such as `callnext status` and test drivers use names that imply no role.
                grant = Grant(role="admin")
                if request.node not in self._warned and len(self._warned) < 1000:
                    self._warned.add(request.node)
                    log.warning("insecure mode: node %r has no role; treating it as admin",
                                request.node)
        if grant is None:
            return None, self._refuse(request, None, f"node {request.node!r} has no role; give "
                                      "it one in [security.roles] or use a key named after its "
                                      "role (kiosk-N, display-N, caller-N, admin)")
        if not self.authenticated:
            refusal = self._rate(request.node, grant)
            if refusal is not None:
                return grant, refusal
        if grant.role != "admin" and request.op not in ROLE_OPS[grant.role]:
            return grant, self._refuse(request, None,
                                       f"a {grant.role} may not use {request.op!r}")
        return grant, self._staff_refusal(grant, request)

    def _staff_refusal(self, grant: Grant, request: Request) -> Refusal | None:
        """Only the console and the admin name a staff member; the console must for
        clerk and manager ops (who the member is, and may do, the rules check)."""
        if request.staff is not None and grant.role not in ("web", "admin"):
            return self._refuse(request, None, f"a {grant.role} may not act for a staff "
                                "member; only the staff console (web) sends 'staff'")
        if grant.role == "web" and request.staff is None and request.op in STAFFED_OPS:
            return self._refuse(request, None, f"the staff console must name the staff "
                                f"member (envelope 'staff') it sends {request.op!r} for")
        return None

    def check_counter(self, grant: Grant | None, request: Request,
                      args: dict[str, Any]) -> Refusal | None:
        """A caller acts for its own counter only (checked on validated args)."""
        if grant is None or grant.role != "caller" or request.op not in COUNTER_SCOPED_OPS:
            return None
        counter = args.get("counter")
        if counter == grant.counter:
            return None
        return self._refuse(request, counter, f"{request.node!r} is the caller of counter "
                            f"{grant.counter} and may not act for counter {counter}")

    def _refuse(self, request: Request, counter: Any, why: str) -> Refusal:
        if counter is None and isinstance(request.args, dict):
            counter = request.args.get("counter")
        log.warning("forbidden: node %s, op %s, counter %s, staff %s: %s", request.node,
                    request.op, "-" if counter is None else counter, request.staff or "-", why)
        return Refusal(errors.FORBIDDEN, why)
