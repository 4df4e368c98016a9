"""The caller node's composition root: buttons → presses → commands; mirror → LEDs/LCD.

``CounterCaller`` holds the behaviour and is driven from three places:

* edges from GPIO callbacks (``edge``) or keys (``key``): they only decide and
  enqueue, never touch the network;
* the command worker's outcomes (``_on_outcome``), on the worker thread;
* ``tick`` from the main loop: long presses, a settling TRANSFER choice, LEDs,
  the rating pad's lights, the text output, the buzzer.

``caller.run.CallerNodeRuntime`` builds one with real parts (the node runtime's
mirror, request client and broker clock; gpiozero devices on the given pin
factory); ``caller.run.run_caller`` is the process.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from caller.lcd import TextOutput, caller_lines, note_words, refusal_note
from caller.leds import LedDriver, QueueWatch, plan_leds
from caller.mirrored import counter_view, waiting_for
from caller.presses import PressFilter
from caller.rating import RatingGate, ReasonPrompt, reason_for
from caller.transfer import TransferChoice
from caller.worker import CommandWorker, Outcome, Send, SubmitResult
from config.caller_node import CallerNode
from config.schema import Hall
from protocol import errors
from protocol.registry import REGISTRY
from protocol.results import NextCalled, Recalled
from protocol.view import PublicView
from runtime.blocks import NodeSetupError
from runtime.messages import alert_text

logger = logging.getLogger(__name__)

RATING_KEY = "rate"
"""The worker key of every rating button: one rating in flight at a time."""


class CallerSetupError(NodeSetupError):
    """The caller node cannot start with this configuration."""


@dataclass(frozen=True)
class Devices:
    """The node's output devices (any may be None when not fitted)."""

    status: Any = None
    fault: Any = None
    waiting: Any = None
    buzzer: Any = None
    rating_leds: tuple[Any, ...] = ()


class CounterCaller:
    """One counter's caller and rating pad.

    Args:
        hall: the hall (rating scale and window, services).
        node: the caller block.
        counter: the counter number.
        send: the blocking request function (``RequestClient.request``).
        view: returns the mirrored public view, typed (``NodeRuntime.model``; None before
            the first snapshot; called every tick, so it must not copy it).
        link_ok: whether the mirror is current.
        broker_now: the broker's time (``NodeRuntime.broker_now``), for the published
            rating windows.
        devices: the output devices.
        text: the small text output, or None.
        monotonic: the clock of presses, LEDs and staleness.
    """

    def __init__(self, hall: Hall, node: CallerNode, counter: int, *, send: Send,
                 view: Callable[[], PublicView | None], link_ok: Callable[[], bool],
                 broker_now: Callable[[], float | None] = lambda: None,
                 devices: Devices = Devices(), text: TextOutput | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.hall = hall
        self.node = node
        self.counter = counter
        self._view = view
        self._link_ok = link_ok
        self._broker_now = broker_now
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self.presses = PressFilter(long_actions=dict(node.long_press.actions),
                                   guard_s=node.press_guard_ms / 1000.0,
                                   hold_s=node.long_press.hold_seconds)
        self.worker = CommandWorker(send, link_ok=link_ok, on_done=self._on_outcome,
                                    monotonic=monotonic)
        scale = hall.policies.rating_scale
        if node.rating.buttons and len(node.rating.buttons) != scale:
            raise CallerSetupError(
                f"[[callers]] {node.id!r}: rating.buttons has {len(node.rating.buttons)} pins "
                f"but policies.rating_scale is {scale}; wire one button per level")
        self.rating = RatingGate(counter, scale)
        self.reasons = ReasonPrompt(scale, node.rating.reason_seconds)
        self.transfer = (TransferChoice(node.transfer.services, node.transfer.settle_seconds)
                         if node.transfer.services else None)
        self._leds = LedDriver(devices.status, devices.fault, devices.waiting)
        self._devices = devices
        self._text = text
        # Character LCDs have no Chinese glyphs: their notes are worded in English.
        self._ascii_only = node.lcd.kind == "i2c"
        self._queue_watch = QueueWatch()
        self._fault_until = float("-inf")
        self._note = ""
        self._note_until = float("-inf")
        self._thanks: tuple[int, float] | None = None
        self._rating_ticket: str | None = None
        self._pad_applied: tuple[str, ...] = ()
        self.outcomes: list[Outcome] = []
        """Every outcome so far, newest last (bounded), for tests and the bench."""
        self.on_outcome: Callable[[Outcome], None] | None = None

    # --- inputs ------------------------------------------------------------------------------

    def edge(self, name: str, pressed: bool) -> None:
        """A button edge (from a GPIO callback); returns without network I/O.

        Args:
            name: a clerk action (``call_next`` ...) or ``rate<i>`` for the i-th
                rating button (0 = best).
            pressed: True on press, False on release.
        """
        now = self._monotonic()
        with self._lock:
            action = (self.presses.pressed(name, now) if pressed
                      else self.presses.released(name, now))
        if action is not None:
            self.act(action)

    def key(self, name: str, *, long: bool = False) -> None:
        """A key press standing for a whole button press (keyboard mode).

        Args:
            name: as for ``edge``.
            long: stands for a long press (the button's long-press action).
        """
        now = self._monotonic()
        with self._lock:
            if long:
                if name not in self.node.long_press.actions:
                    return
                self.presses.pressed(name, now)
                # Released after the hold time: the filter yields the long action
                # (or None inside the guard time, like a real button).
                action = self.presses.released(name, now + self.presses.hold_s)
            else:
                first = self.presses.pressed(name, now)
                second = self.presses.released(name, now)
                action = first or second
        if action is not None:
            self.act(action)

    def act(self, action: str) -> SubmitResult | str:
        """Carry out one taken press.

        Args:
            action: a clerk action or ``rate<i>``.

        Returns:
            The worker's ``SubmitResult``, or a short word when nothing was
            submitted (``choosing``, ``no_target``, ``closed``, ``already_rated``).
        """
        if action.startswith("rate") and action[4:].isdigit():
            return self._rate(int(action[4:]))
        args: dict[str, Any] = {"counter": self.counter}
        op = action
        if action == "transfer":
            if self.transfer is None:
                self._refused(note_words("caller.no_transfer_target",
                                         ascii_only=self._ascii_only))
                return "no_target"
            target = self.transfer.press(self._monotonic())
            if target is None:
                self._show_choice()
                return "choosing"
            args["service"] = target
        else:
            if self.transfer is not None:
                self.transfer.cancel()
            if action == "pause":
                entry = counter_view(self._view(), self.counter)
                op = "resume" if entry is not None and entry.mode == "paused" else "pause"
            elif action == "recall_slow":  # RECALL held: the displays say it slower, louder
                op, args["slow"] = "recall", True
        return self._submit(action, op, args)

    def _submit(self, key: str, op: str, args: dict[str, Any]) -> SubmitResult:
        result = self.worker.submit(key, op, args)
        if result is SubmitResult.OFFLINE:
            self._refused(note_words("caller.offline", ascii_only=self._ascii_only))
        return result

    def _rate(self, button: int) -> SubmitResult | str:
        now = self._monotonic()
        pending = self.reasons.take(now)
        if pending is not None:
            # The second press after a negative level names the reason.
            return self._send_rating(pending.ticket, pending.score, pending.button,
                                     reason_for(button))
        view = self._view()
        decision = self.rating.press(button, view, self._broker_now())
        if not decision.send:
            logger.info("rating button %d ignored at counter %d: %s", button, self.counter,
                        decision.reason)
            return decision.reason
        if self.reasons.wants_reason(decision.score, self.rating.scale):
            self.reasons.start(decision.ticket, decision.score, button, now)
            self._note = note_words("rating.ask_reason", ascii_only=self._ascii_only)
            self._note_until = now + self.reasons.seconds
            return "choosing_reason"
        return self._send_rating(decision.ticket, decision.score, button, None)

    def _send_rating(self, ticket: str | None, score: int, button: int,
                     reason: str | None) -> SubmitResult:
        args: dict[str, Any] = {"counter": self.counter, "score": score}
        if ticket is not None:
            # Name the ticket the pad lit up for: if the clerk calls the next visitor
            # before this press arrives, the rating still lands on the right visit.
            args["ticket"] = ticket
        if reason is not None:
            args["reason"] = reason
        result = self._submit(RATING_KEY, "rate", args)
        if result is SubmitResult.QUEUED:
            self._rating_ticket = ticket
            self._thanks = (button, self._monotonic() + self.node.rating.thanks_seconds)
        elif ticket is not None:
            self.rating.failed(ticket)
        return result

    # --- outcomes ----------------------------------------------------------------------------

    def _on_outcome(self, outcome: Outcome) -> None:
        command = outcome.command
        if outcome.status != "ok":
            if command.op == "rate":
                self._thanks = None
                if outcome.code != errors.ALREADY_RATED and self._rating_ticket is not None:
                    # The rating did not count: let the visitor press again.
                    self.rating.failed(self._rating_ticket)
            self._refused(refusal_note(command.op, outcome.code, outcome.params, outcome.status,
                                       ascii_only=self._ascii_only, hall=self.hall))
        elif command.op == "transfer":
            self._set_note(f"-> {command.args.get('service')} OK")
        else:
            note = result_note(command.op, outcome.result)
            if note is not None:
                self._set_note(note_words(f"note.{note}", ascii_only=self._ascii_only))
        self.outcomes.append(outcome)
        del self.outcomes[:-200]
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def _refused(self, note: str) -> None:
        now = self._monotonic()
        self._fault_until = now + self.node.leds.fault_seconds
        self._set_note(note)

    def _set_note(self, note: str) -> None:
        self._note = note
        self._note_until = self._monotonic() + max(self.node.leds.fault_seconds, 2.0)

    def _show_choice(self) -> None:
        if self.transfer is not None and self.transfer.shown is not None:
            service = self.hall.service(self.transfer.shown)
            name = service.name.zh if service is not None else self.transfer.shown
            self._note = f"转移 -> {name} {self.transfer.shown}"
            self._note_until = self._monotonic() + self.transfer.settle_s + 0.5

    # --- the main loop's work ----------------------------------------------------------------

    def tick(self) -> None:
        """One round of the main loop: never blocks on the network."""
        now = self._monotonic()
        with self._lock:
            long_actions = self.presses.tick(now)
        for action in long_actions:
            self.act(action)
        unanswered = self.reasons.expired(now)
        if unanswered is not None:
            self._send_rating(unanswered.ticket, unanswered.score, unanswered.button, None)
        if self.transfer is not None:
            target = self.transfer.due(now)
            if target is not None:
                self._submit("transfer", "transfer", {"counter": self.counter,
                                                      "service": target})
        view = self._view()
        link_ok = self._link_ok()
        self._leds.apply(plan_leds(view, self.counter, link_ok=link_ok,
                                   fault_until=self._fault_until, now=now))
        waiting = waiting_for(view, self.counter) if link_ok else 0
        if link_ok and self._queue_watch.update(waiting) and self._devices.buzzer is not None:
            beep = self.node.leds.beep_seconds
            self._devices.buzzer.beep(on_time=beep, off_time=beep, n=1, background=True)
        self._apply_pad(view, now)
        if self._text is not None:
            note = self._note if now < self._note_until else self._attention_note(view)
            lcd = self.node.lcd
            self._text.show(caller_lines(view, self.counter, link_ok=link_ok, waiting=waiting,
                                         columns=lcd.columns, rows=lcd.rows,
                                         ascii_only=lcd.kind == "i2c", note=note))

    def _attention_note(self, view: PublicView | None) -> str:
        """The first unacknowledged alert about this counter, worded for the LCD's note line
        (English on a character LCD), or "" (the red LED blinks slowly meanwhile)."""
        for alert in view.alerts.values() if view is not None else ():
            if alert.counter == self.counter and not alert.acknowledged:
                language = "en" if self._ascii_only else "zh"
                return alert_text(alert.code or alert.kind, alert.params, language,
                                  hall=self.hall)
        return ""

    def _apply_pad(self, view: PublicView | None, now: float) -> None:
        leds = self._devices.rating_leds
        if not leds:
            return
        if self.reasons.waiting:
            wanted = ("blink",) * len(leds)  # every button now names a reason
        elif self._thanks is not None and now < self._thanks[1]:
            wanted = tuple("blink" if i == self._thanks[0] else "off" for i in range(len(leds)))
        else:
            self._thanks = None
            open_ticket = self.rating.open_ticket(view, self._broker_now())
            wanted = tuple(("on" if open_ticket else "off") for _ in leds)
        if wanted == self._pad_applied:
            return
        for led, mode, before in zip(leds, wanted, self._pad_applied or ("",) * len(leds),
                                     strict=True):
            if mode == before:
                continue
            if mode == "on":
                led.on()
            elif mode == "off":
                led.off()
            else:
                led.blink(on_time=0.2, off_time=0.2, background=True)
        self._pad_applied = wanted

    def pad_open(self) -> bool:
        """Whether the rating pad currently accepts a rating (its LEDs are lit).

        Returns:
            True while the broker publishes a rating target not yet rated from here.
        """
        return self.rating.open_ticket(self._view(), self._broker_now()) is not None

    def start(self) -> None:
        """Start the command worker."""
        self.worker.start()

    def stop(self) -> None:
        """Stop the command worker."""
        self.worker.stop()


def result_note(op: str, result: dict[str, Any] | None) -> str | None:
    """The note code of an op's result (``nobody_waiting``, ``recall_limit``), parsed with
    the op registry's result model; None when the result carries none or does not parse
    (the command went through: a malformed note is only logged)."""
    spec = REGISTRY.get(op)
    if spec is None or not result:
        return None
    try:
        parsed = spec.parse_result(result)
    except ValueError as err:  # pydantic's ValidationError is a ValueError
        logger.warning("the broker's result for %s does not have its shape: %s", op, err)
        return None
    return parsed.note if isinstance(parsed, (NextCalled, Recalled)) else None
