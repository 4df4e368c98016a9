"""The broker's command handling, without sockets: decode, decide, journal, answer, publish.

One ``BrokerService`` is the hall's single writer. ``handle_batch`` turns the
request frames the loop drained into reply frames and the event frames to
publish: it decides them in order, writes all their events and replies in one
transaction (a group commit, ``broker.batch``) and only then changes the
in-memory state, so anything acknowledged survives a power cut and nothing
unacknowledged happened. ``handle`` is a batch of one.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from broker.batch import Batch, Decided
from broker.checkpoint import CHECKPOINT_EVERY, snapshot, start_state
from broker.clock import TrustedClock
from broker.journal import Append, Checkpoint, Entry, Journal, JournalError
from broker.refusals import wire_error
from broker.security import Access
from broker.rules.feedback import unlisted_nodes
from broker.rules.staff import staff_credential
from broker.rules.staff_state import public_data, staff_list
from broker.rules.visitor import track
from broker.rules import (
    BROKER_OPS,
    COMMAND_OPS,
    Command,
    Event,
    HallState,
    RuleRefusal,
    execute,
    public_view,
)
from broker.rules.view_delta import advance, places_once
from config.schema import Hall
from protocol import envelope, errors
from protocol.errors import ProtocolError
from protocol.ops import READ_ONLY_OPS, validate_args

log = logging.getLogger(__name__)

TRACK_BYTES = 18
"""Random bytes of a ticket's phone token: 144 bits, 24 URL-safe characters."""

READERS: dict[str, Callable[[HallState, Mapping[str, Any]], dict[str, Any]]] = {
    "staff_list": lambda state, _args: staff_list(state),
    "staff_credential": staff_credential,
    "track": track,
}
"""Read-only ops answered with their own result (every other read-only op: the snapshot)."""


VIEW_TAIL = b'"view":null}}'
"""How a snapshot reply whose result ends with a null ``view`` ends (``_snapshot_reply``)."""


@dataclass
class Handled:
    """The answer to one request: the reply frame and the event frames to publish.

    Inside a batch, a decided command's answer is only known after the commit:
    ``pending`` is then its index in the batch (``echo``: a retry of it).
    """

    reply: bytes
    publish: list[list[bytes]] = field(default_factory=list)
    pending: int | None = None
    echo: bool = False


def _reply_id(raw: bytes) -> str | None:
    """The id to echo in an error reply, if one can be found and sent back."""
    found = envelope.decode_request_id(raw[:4096])
    try:
        if found is not None:
            found.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return found


class BrokerService:
    """The single writer of a hall's queue state."""

    def __init__(self, hall: Hall, journal: Journal,
                 clock: Callable[[], float] = time.time, access: Access | None = None,
                 checkpoint_every: int = CHECKPOINT_EVERY) -> None:
        """Rebuild the state by replaying ``journal``.

        Args:
            hall: the hall's configuration.
            journal: an open journal; the service owns writes to it from now on.
            clock: the broker's time in epoch seconds. A ``TrustedClock`` (the broker
                process's) is started at the journal's last event time and its jumps are
                journaled; any other callable is taken as it is (demos and tests).
            access: roles and rate limits; None checks nothing (in-process tools and
                tests that drive the rules directly; the broker process always has one).
            checkpoint_every: events between two state checkpoints in the journal.
        """
        self.hall = hall
        self.journal = journal
        self.clock = clock
        self.access = access
        self._batch: Batch | None = None
        self._encoded_view: tuple[dict[str, Any], bytes] | None = None
        started = time.perf_counter()
        self.checkpoint_every = checkpoint_every
        self.started = start_state(hall, journal)
        self.state: HallState = self.started.state
        self.seq = journal.last_seq()
        self.view: dict[str, Any] = public_view(self.state)
        log.info("replayed %d events%s in %.2f s", self.started.replayed,
                 f" after the checkpoint at seq {self.started.checkpoint}"
                 if self.started.checkpoint else "", time.perf_counter() - started)
        if isinstance(clock, TrustedClock):
            # Time the journal has seen never goes back, whatever the wall clock says now.
            clock.start(self.state.clock)
        # Journaled before serving; nodes learn the result from their first snapshot.
        self._clock_changes()
        gone = unlisted_nodes(self.state)
        if gone:
            log.info("forgetting the health of nodes no longer in the hall file: %s",
                     ", ".join(gone))
            self._run(Command("expire_nodes", {}, "broker"), None)

    # -- requests ---------------------------------------------------------------------------

    def handle(self, raw: bytes, peer: str | None = None) -> Handled:
        """Answer one request frame; never raises for anything a client can send.

        Args:
            raw: the request frame.
            peer: the node name the frame's CURVE key belongs to (None in insecure mode).
        """
        return self.handle_batch([(raw, peer)])[0]

    def handle_batch(self, requests: Sequence[tuple[bytes, str | None]],
                     early: Callable[[int, Handled], None] | None = None) -> list[Handled]:
        """Answer request frames in order with ONE durable commit; never raises for them.

        Each command is decided against the state the earlier ones left; all their
        events and replies are written in one transaction, then the state moves.

        Args:
            requests: ``(frame, peer)`` pairs in arrival order.
            early: told ``(index, answer)`` at once for an answer that needs no commit
                (reads, malformed requests, retries answered from the journal), so the
                loop can send it without waiting for the batch's fsync.

        Returns:
            One answer per request, in order (the early ones included).
        """
        batch = self._batch = Batch(self.state, self.view)
        answers = []
        try:
            for index, (raw, peer) in enumerate(requests):
                answer = self._handle_any(raw, peer)
                if answer.pending is None and early is not None:
                    early(index, answer)
                answers.append(answer)
        finally:
            self._batch = None
        return self._commit(batch, answers)

    def _handle_any(self, raw: bytes, peer: str | None) -> Handled:
        try:
            return self._handle_frame(raw, peer)
        except Exception:  # noqa: BLE001 - the last line of defence: one reply, never a crash
            log.exception("internal error handling a request frame from %s", peer or "?")
            return Handled(envelope.error_reply(
                None, errors.INTERNAL, "the broker hit an unexpected error; nothing was "
                "changed. Report it with the broker log."))

    def _handle_frame(self, raw: bytes, peer: str | None) -> Handled:
        if self.access is not None:
            refusal = self.access.admit(peer)
            if refusal is not None:
                return Handled(envelope.error_reply(_reply_id(raw), refusal.code,
                                                    refusal.message))
        limit = envelope.MAX_BULK_FRAME_BYTES if self.access is None \
            else self.access.frame_limit(peer)
        try:
            request = envelope.decode_request(raw, limit)
        except ProtocolError as err:
            log.warning("refused a malformed request (%s): %s", err.code, err.message)
            return Handled(envelope.error_reply(_reply_id(raw), err.code, err.message))
        except RecursionError:
            log.warning("refused a request nested too deeply to decode")
            return Handled(envelope.error_reply(_reply_id(raw), errors.BAD_JSON,
                                                "the request frame is nested too deeply; "
                                                "send a flat JSON object"))
        try:
            return self._handle(request, peer)
        except Exception:  # noqa: BLE001 - a bug must cost one reply, never the broker
            log.exception("internal error handling %s from %s", request.op, request.node)
            return Handled(envelope.error_reply(
                request.id, errors.INTERNAL,
                "the broker hit an unexpected error; nothing was changed. "
                "Report it with the broker log."))

    def _handle(self, request: envelope.Request, peer: str | None) -> Handled:
        grant = None
        if self.access is not None:
            # Before the stored-reply lookup: a node may not read replies it may not cause.
            grant, refusal = self.access.grant(peer, request)
            if refusal is not None:
                return Handled(envelope.error_reply(request.id, refusal.code, refusal.message))
        if request.op in READ_ONLY_OPS:
            return Handled(self._read(request))
        seen = self._seen(request)
        if seen is not None:
            return seen
        try:
            args = validate_args(request.op, request.args)
        except ProtocolError as err:
            log.warning("refused %s from %s (%s): %s", request.op, request.node, err.code,
                        err.message)
            return Handled(envelope.error_reply(request.id, err.code, err.message))
        if request.op not in COMMAND_OPS or request.op in BROKER_OPS:
            return Handled(envelope.error_reply(request.id, errors.UNKNOWN_OP,
                                                f"op {request.op!r} is not handled by this broker"))
        given = args.model_dump()
        if self.access is not None:
            refusal = self.access.check_counter(grant, request, given)
            if refusal is not None:
                return Handled(envelope.error_reply(request.id, refusal.code, refusal.message))
        if request.op == "issue_ticket":
            # The phone token is drawn here, not in the pure rules: the rules store it on the
            # ticket's journaled event, so a replay rebuilds the same token.
            given["track"] = secrets.token_urlsafe(TRACK_BYTES)
        command = Command(request.op, given, request.node, request.staff)
        return self._run(command, request.id)

    def _seen(self, request: envelope.Request) -> Handled | None:
        """The answer to a retry (of this batch, or from the journal), or None: a new id."""
        pending = None if self._batch is None else self._batch.request(request.id)
        stored = self.journal.request(request.id) if pending is None else None
        if pending is None and stored is None:
            return None
        op, node = pending[:2] if pending is not None else stored[:2]  # type: ignore[index]
        if (op, node) != (request.op, request.node):
            # Answering with the other command's reply would silently drop this one.
            log.warning("request id %s reused by %s for %s (first %s by %s)", request.id,
                        request.node, request.op, op, node)
            return Handled(envelope.error_reply(
                request.id, errors.BAD_ENVELOPE,
                f"request id {request.id} was already used for {op} by {node}; "
                "make a new id for each new command"))
        log.info("request %s retried by %s: answered %s", request.id, request.node,
                 "with its original" if pending is not None else "from the journal")
        if pending is not None:
            return Handled(b"", pending=pending[2], echo=True)
        return Handled(stored[2])  # type: ignore[index]

    def _read(self, request: envelope.Request) -> bytes:
        """The reply to a read-only op: answered from memory, nothing stored or logged."""
        try:
            args = validate_args(request.op, request.args).model_dump()
        except ProtocolError as err:
            return envelope.error_reply(request.id, err.code, err.message)
        reader = READERS.get(request.op)
        if reader is None:
            return self._snapshot_reply(request.id)
        try:
            return envelope.ok_reply(request.id, reader(self.state, args))
        except RuleRefusal as refusal:
            code, message, params = wire_error(refusal)
            return envelope.error_reply(request.id, code, message, params)

    def _run(self, command: Command, request_id: str | None) -> Handled:
        """Decide ``command`` in the open batch, or alone in a batch of its own."""
        if self._batch is not None:
            return self._decide(self._batch, command, request_id)
        batch = Batch(self.state, self.view)
        return self._commit(batch, [self._decide(batch, command, request_id)])[0]

    def _decide(self, batch: Batch, command: Command, request_id: str | None) -> Handled:
        """Decide one command against the batch's tip; its answer waits for the commit."""
        now = self.clock()
        days: list[str] = []
        changes: list[tuple[Event, dict[str, Any]]] = []
        view = batch.view

        def observe(state: HallState, event: Event) -> None:
            nonlocal view
            # Only the view entries the event touched are rebuilt (``view_delta``).
            view, changed = advance(view, state, event)
            changes.append((event, changed))
            days.append(state.day or "")

        try:
            outcome = execute(batch.state, command, now, observe)
        except RuleRefusal as refusal:
            code, message, params = wire_error(refusal)
            reply = envelope.error_reply(request_id, code, message, params)
            log.info("refused %s from %s (%s): %s", command.op, command.node, refusal.code,
                     message)
            if request_id is None:
                return Handled(reply)
            # Kept so a retry of the same id gets the same answer.
            return Handled(reply, pending=batch.add(Decided(
                Append((), command.op, command.node, request_id, reply, now),
                batch.state, batch.view, refused=True)))
        reply = envelope.ok_reply(request_id or "", outcome.result)
        changes = places_once(changes)
        entries = tuple(Entry(event, day) for event, day in zip(outcome.events, days, strict=True))
        return Handled(reply, pending=batch.add(Decided(
            Append(entries, command.op, command.node, request_id, reply, now),
            outcome.state, view, changes)))

    def _commit(self, batch: Batch, answers: list[Handled]) -> list[Handled]:
        """Write the batch in one transaction, then move the state; the final answers."""
        if not batch.decided:
            return answers
        try:
            seqs: list[list[int]] | None = self.journal.append_many(
                batch.appends(), self._checkpoint(batch))
            failure = None
        except JournalError as err:
            log.error("%s", err)
            seqs, failure = None, err
        finals = [self._final(decided, None if seqs is None else seqs[index], failure)
                  for index, decided in enumerate(batch.decided)]
        if seqs is not None:
            self.state, self.view = batch.state, batch.view
            self.seq = max([self.seq, *(seq for numbers in seqs for seq in numbers)])
        return [answer if answer.pending is None
                else Handled(finals[answer.pending].reply) if answer.echo
                else finals[answer.pending] for answer in answers]

    def _checkpoint(self, batch: Batch) -> Checkpoint | None:
        """A snapshot of the batch's tip when its events cross a multiple of the policy."""
        written = sum(len(d.append.entries) for d in batch.decided)
        every = self.checkpoint_every
        if every <= 0 or (self.seq + written) // every == self.seq // every:
            return None
        return snapshot(batch.state)

    def _final(self, decided: Decided, seqs: list[int] | None,
               failure: JournalError | None) -> Handled:
        """The answer of one decided command once its batch's commit succeeded or failed."""
        append = decided.append
        reply = append.reply or b""
        if failure is not None:
            if decided.refused and not decided.after_change:
                # Judged on the committed state: still true, only not remembered.
                log.warning("could not remember the refusal of %s; a retry is judged afresh",
                            append.request_id)
                return Handled(reply)
            return Handled(envelope.error_reply(append.request_id, errors.JOURNAL_UNAVAILABLE,
                                                str(failure)))
        # The journal keeps staff records whole; nodes never see a PIN hash or a name.
        frames = [envelope.encode_event(envelope.Event(
            seq=seq, type=event.type, at=event.at, data=public_data(event.data),
            view=changes))
            for (event, changes), seq in zip(decided.changes, seqs or [], strict=True)]
        return Handled(reply, frames)

    # -- time and reads ---------------------------------------------------------------------

    def tick(self) -> list[list[bytes]]:
        """Let time pass: day roll-over and time-based alerts. Returns frames to publish."""
        frames = self._clock_changes()
        if self.access is not None:
            self.access.summarise()
        return frames + self._run(Command("tick", {}, "broker"), None).publish

    def _clock_changes(self) -> list[list[bytes]]:
        """Journal what the trusted clock saw since last asked (jumps, returns, adoptions)."""
        if not isinstance(self.clock, TrustedClock):
            return []
        frames: list[list[bytes]] = []
        for change in self.clock.changes():
            frames += self._run(Command("clock_jump", change.args(), "broker"), None).publish
        return frames

    def report_own_health(self, component: str, status: str, detail: str) -> list[list[bytes]]:
        """Journal a health report of the broker itself (its backups); frames to publish.

        The same rule as a node's ``report_health``: staff see an alert while it is not ok.
        """
        command = Command("report_health", {"component": component, "status": status,
                                            "message": detail}, "broker")
        return self._run(command, None).publish

    def heartbeat(self) -> list[bytes]:
        """The heartbeat frames carrying the last published seq and the journal's identity."""
        return envelope.encode_heartbeat(self.seq, self.clock(), hall=self.journal.hall_id,
                                         epoch=self.journal.epoch)

    def snapshot(self) -> dict[str, Any]:
        """The whole public view, the seq it reflects and the broker's clock.

        ``now`` lets a node measure waits against the broker's time rather than
        its own clock, which on a Pi without a real-time clock may be wrong.
        ``hall`` and ``epoch`` name the journal's history: a node that sees another
        epoch (a restored or replaced journal) resynchronises.
        """
        return {"seq": self.seq, "now": self.clock(), "view": self.view,
                "hall": self.journal.hall_id, "epoch": self.journal.epoch}

    def _snapshot_reply(self, request_id: str) -> bytes:
        """The reply to a snapshot: the view's JSON is encoded once per view, not per request.

        Encoding a busy day's whole view (every place in every line, the open cases) took
        tens of milliseconds, on every node's (re)connect and poll. Events replace the view
        object (``advance`` never changes one), so the encoded bytes are kept beside the view
        they encode and spliced into each reply, whose other fields are encoded as usual.
        """
        if self._encoded_view is None or self._encoded_view[0] is not self.view:
            self._encoded_view = (self.view, envelope.dumps(self.view, "snapshot view"))
        result = self.snapshot()
        del result["view"]
        result["view"] = None  # last in the reply: replaced by the encoded view below
        frame = envelope.ok_reply(request_id, result)
        if not frame.endswith(VIEW_TAIL):
            return envelope.ok_reply(request_id, self.snapshot())
        return frame[:-len(VIEW_TAIL)] + b'"view":' + self._encoded_view[1] + b"}}"

    def accept_rollback(self, args: dict[str, Any]) -> list[list[bytes]]:
        """Journal the operator's accepted rollback (``broker.continuity.Rollback.args``).

        Returns:
            The frames to publish.

        Raises:
            JournalError: it could not be journaled; the broker must not serve.
        """
        handled = self._run(Command("journal_rollback", args, "broker"), None)
        if not handled.publish:
            raise JournalError(f"the journal rollback could not be journaled: "
                               f"{handled.reply.decode('utf-8', 'replace')}")
        self.journal.sync_anchor(wait=True)
        return handled.publish
