"""The broker process: a ROUTER for commands, a PUB for events, one loop, one writer."""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import zmq

from broker.anchor import ANCHOR_NAME
from broker.backup import BackupSchedule
from broker.continuity import open_journal
from broker.journal import Journal
from broker.service import BrokerService, Handled
from broker.security import Access, CurveSecurity, listed_grants
from broker.sockets import Bound, bind_sockets
from config.schema import Hall
from foundation import sdnotify
from foundation.heap import settle_heap
from protocol import envelope, errors

log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0
TICK_S = 5.0
MAX_BATCH = 1000
"""Requests drained into one group commit at most, so heartbeats and ticks still come."""


@dataclass(frozen=True)
class Endpoints:
    """Where the running broker can be reached."""

    commands: str
    events: str


def serve(hall: Hall, data_dir: Path, *, bind: str | None = None,
          command_port: int | None = None, event_port: int | None = None,
          clock: Callable[[], float] = time.time,
          keys_dir: Path | None = None, insecure: bool = False,
          stop: threading.Event | None = None,
          on_ready: Callable[[Endpoints], None] | None = None,
          accept_rollback: bool = False) -> int:
    """Run the broker until ``stop`` is set or SIGTERM/SIGINT arrives.

    Args:
        hall: the hall's configuration.
        data_dir: where the journal lives.
        bind: interface to bind (default: the config's ``broker.bind``).
        command_port, event_port: ROUTER and PUB ports; 0 picks a free one (default: config).
        clock: wall-clock source in epoch seconds.
        keys_dir: the broker's keys (default: the config's ``security.keys_dir``).
        insecure: run without CURVE (also when the config's ``security.insecure``);
            a warning is logged on every start.
        stop: an event that ends the loop (for in-process use).
        on_ready: called with the bound endpoints once commands are accepted.
        accept_rollback: the operator's decision to serve a journal that is behind
            its anchor (journaled; numbering continues above the anchor).

    Returns:
        The process exit status: 0 after a clean stop.

    Raises:
        SecurityError: CURVE keys missing. JournalBehind: the journal is behind its
        anchor, no decision given. JournalUnavailable: the disk is full or read-only.
    """
    stop = stop or threading.Event()
    security = _security(hall, keys_dir, insecure or hall.security.insecure)
    service, pending = _open(hall, Path(data_dir), clock, security, accept_rollback)
    journal = service.journal
    context = zmq.Context()
    try:
        router, pub, endpoints = bind_sockets(
            context, bind or hall.broker.bind,
            hall.broker.command_port if command_port is None else command_port,
            hall.broker.event_port if event_port is None else event_port,
            security)
    except BaseException:
        _close(security, context, journal)
        raise
    for frames in pending:
        pub.send_multipart(frames)
    _announce(hall, service, journal, endpoints, stop, on_ready)
    backups = None if hall.journal.backup_dir is None else BackupSchedule(
        hall.journal, journal.path, journal.path.with_name(ANCHOR_NAME), day=service.state.day)
    try:
        _loop(service, router, pub, stop, security, backups)
    finally:
        if backups is not None:
            backups.close()
        sdnotify.notify(stopping=True)
        router.close(linger=0)
        pub.close(linger=200)
        _close(security, context, journal)
        log.info("broker stopped at seq %d", service.seq)
    return 0


def _security(hall: Hall, keys_dir: Path | None, insecure: bool) -> CurveSecurity | None:
    """CURVE on the broker's sockets, or None (with a warning on every start)."""
    if insecure:
        log.warning("INSECURE MODE: no CURVE authentication or encryption; any device on the "
                    "network can act as any node. Use it on a closed test network only; run "
                    "`callnext keys init` and start the broker with --keys for a hall.")
        return None
    security = CurveSecurity(keys_dir if keys_dir is not None else hall.security.keys_dir)
    log.info("CURVE on: %d node keys from %s", len(security.node_names), security.keys_dir)
    return security


def _open(hall: Hall, data_dir: Path, clock: Callable[[], float],
          security: CurveSecurity | None,
          accept_rollback: bool) -> tuple[BrokerService, list[list[bytes]]]:
    """The journal checked against its anchor, replayed; an accepted rollback journaled."""
    try:
        journal, rollback = open_journal(data_dir, accept_rollback=accept_rollback)
    except BaseException:
        if security is not None:
            security.close()
        raise
    try:
        service = BrokerService(hall, journal, clock, Access(
            hall.security, authenticated=security is not None, listed=listed_grants(hall)))
        pending = [] if rollback is None else service.accept_rollback(rollback.args())
        # The replayed state and start-up objects stay all day: out of the collector's full
        # passes, which took 38-42 ms mid-command in the chain bench (foundation.heap).
        settle_heap()
        return service, pending
    except BaseException:
        if security is not None:
            security.close()
        journal.close()
        raise


def _close(security: CurveSecurity | None, context: zmq.Context, journal: Journal) -> None:
    if security is not None:
        security.close()
    context.destroy(linger=0)  # closed sockets keep their own linger
    journal.close()


def _announce(hall: Hall, service: BrokerService, journal: Journal, endpoints: Bound,
              stop: threading.Event, on_ready: Callable[[Endpoints], None] | None) -> None:
    """Signals, the ready log line, the caller's hook and systemd's READY=1."""
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    log.info("broker ready: commands %s, events %s, journal %s (seq %d, hall %s, epoch %s)",
             endpoints.commands, endpoints.events, journal.path, service.seq, journal.hall_id,
             journal.epoch)
    if on_ready is not None:
        on_ready(Endpoints(endpoints.commands, endpoints.events))
    # systemd (Type=notify) starts the nodes only once the journal is replayed and bound.
    sdnotify.notify(ready=True, status=f"serving {hall.name.en}, seq {service.seq}")


def _loop(service: BrokerService, router: zmq.Socket, pub: zmq.Socket,
          stop: threading.Event, security: CurveSecurity | None,
          backups: BackupSchedule | None = None) -> None:
    poller = zmq.Poller()
    poller.register(router, zmq.POLLIN)
    next_beat = time.monotonic()
    next_tick = time.monotonic() + TICK_S
    watchdog = sdnotify.Watchdog()
    while not stop.is_set():
        # Petting from the loop itself: a wedged loop stops the pets and systemd restarts us.
        watchdog.pet()
        timeout_ms = max(0.0, min(next_beat, next_tick) - time.monotonic()) * 1000
        try:
            ready = dict(poller.poll(min(timeout_ms, 250)))
        except zmq.ZMQError as err:
            if err.errno == zmq.EINTR:
                continue
            raise
        if router in ready:
            _answer_ready(service, router, pub, security)
        now = time.monotonic()
        if now >= next_tick:
            for frames in service.tick():
                pub.send_multipart(frames)
            next_tick = now + TICK_S
        # The appends of this turn are durable and answered; the anchor's own thread now
        # writes them once, beside the next turn's commit (``broker.anchor_keeper``).
        service.journal.sync_anchor()
        if backups is not None:
            backups.poll(service.state.day)  # cheap unless a backup is due
            change = backups.health_change()
            if change is not None:
                for frames in service.report_own_health("backup", *change):
                    pub.send_multipart(frames)
        if now >= next_beat:
            pub.send_multipart(service.heartbeat())
            next_beat = now + HEARTBEAT_S


def _answer_ready(service: BrokerService, router: zmq.Socket, pub: zmq.Socket,
                  security: CurveSecurity | None) -> None:
    """Drain the requests ready now and answer them with one group commit.

    Nothing waits for a batch to fill: a lone request is a batch of one. Reads and
    malformed frames are answered at once; commands once the batch is durable, in
    order, each reply followed by its events.
    """
    routes: list[list[bytes]] = []
    requests: list[tuple[bytes, str | None]] = []
    for _ in range(MAX_BATCH):
        try:
            frames = router.recv_multipart(zmq.NOBLOCK, copy=False)
        except zmq.Again:
            break
        request = _request(router, frames, security)
        if request is not None:
            routes.append(request[0])
            requests.append(request[1])
    if not requests:
        return
    sent: set[int] = set()

    def early(index: int, handled: Handled) -> None:
        router.send_multipart([*routes[index], handled.reply])
        sent.add(index)

    for index, handled in enumerate(service.handle_batch(requests, early)):
        if index not in sent:
            router.send_multipart([*routes[index], handled.reply])
        for event_frames in handled.publish:
            pub.send_multipart(event_frames)


def _request(router: zmq.Socket, frames: list[zmq.Frame], security: CurveSecurity | None
             ) -> tuple[list[bytes], tuple[bytes, str | None]] | None:
    """The route and (body, peer) of one routed message; DEALER sends [id, body], REQ sends
    [id, b'', body]. Anything else is refused at once (None)."""
    if len(frames) == 2:
        route, body = [frames[0].bytes], frames[1]
    elif len(frames) == 3 and frames[1].bytes == b"":
        route, body = [frames[0].bytes, b""], frames[2]
    else:
        log.warning("refused a message of %d frames", len(frames))
        reply = envelope.error_reply(None, errors.BAD_ENVELOPE,
                                     "send exactly one JSON frame per request")
        router.send_multipart([frames[0].bytes, reply])
        return None
    peer = None
    if security is not None:
        # ZAP set the User-Id of this connection to the client's z85 public key.
        peer = security.node_of(body.get("User-Id"))
    return route, (body.bytes, peer)
