"""Settings of one caller node, as a ``[[callers]]`` table of the hall file.

A caller node is the clerk's button box at one counter (叫号器), optionally with
the visitor-facing rating pad (评价器) of the same counter. Buttons are wired
between a GPIO pin and GND (internal pull-ups); pins are BCM numbers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from config.base import ConfigModel, NodeId

BcmPin = Annotated[int, Field(ge=0, le=27)]
"""A BCM GPIO number of the 40-pin header (GPIO0-GPIO27)."""

Action = Literal["call_next", "recall", "no_show", "pause", "transfer", "finish", "start", "hold"]
"""What a clerk's button does. ``pause`` toggles: it pauses a serving counter and
resumes a paused one. ``transfer`` sends the visitor to ``transfer.services``."""

ACTIONS: tuple[Action, ...] = ("call_next", "recall", "no_show", "pause", "transfer", "finish",
                               "start", "hold")

LongAction = Literal["call_next", "recall", "no_show", "pause", "transfer", "finish", "start",
                     "hold", "recall_slow"]
"""What a long press does: a clerk action, or ``recall_slow`` (慢速重呼: ``recall`` with
``slow: true``, said slower and louder for a visitor who hears poorly; no button of its own)."""


class ButtonPins(ConfigModel):
    """The clerk's buttons: one BCM pin per action; leave out the ones not fitted."""

    call_next: BcmPin | None = None
    """叫号 CALL NEXT: finishes the current visitor and calls the next ticket."""
    recall: BcmPin | None = None
    """重呼 RECALL: announce the current ticket again."""
    no_show: BcmPin | None = None
    """过号 NO-SHOW: the called visitor did not come."""
    pause: BcmPin | None = None
    """暂停/恢复 PAUSE/RESUME: toggles the counter's pause."""
    transfer: BcmPin | None = None
    """转移 TRANSFER: send the visitor to another service (see ``transfer``)."""
    finish: BcmPin | None = None
    """办结 FINISH: for halls that want an explicit finish (opens the rating window)."""
    start: BcmPin | None = None
    """开始办理 START: the visitor arrived and service began."""
    hold: BcmPin | None = None
    """挂起 HOLD: set the current visitor aside to call back later."""

    def fitted(self) -> dict[Action, int]:
        """The fitted buttons, action to pin, in the order above."""
        return {action: pin for action in ACTIONS
                if (pin := getattr(self, action)) is not None}


class TransferSettings(ConfigModel):
    """Where TRANSFER sends a visitor (一票到底)."""

    services: tuple[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")], ...] = ()
    """Target service ids. One: each press transfers there. Several: the first press
    shows the first target, each further press within ``settle_seconds`` moves to the
    next one, and the transfer is sent once no press came for ``settle_seconds``."""
    settle_seconds: Annotated[float, Field(ge=0.5, le=10)] = 2.0


class LedPins(ConfigModel):
    """The clerk's indicator LEDs (each between a GPIO pin and GND through a resistor)."""

    status: BcmPin | None = None
    """Green: steady while serving a ticket, slow blink while the counter is paused."""
    fault: BcmPin | None = None
    """Red: fast blink while the broker is unreachable, and briefly after a refused press."""
    waiting: BcmPin | None = None
    """Lights while tickets wait for this counter's services."""
    buzzer: BcmPin | None = None
    """Active buzzer: a short beep when this counter's queue goes from empty to non-empty."""
    fault_seconds: Annotated[float, Field(gt=0, le=30)] = 3.0
    """How long the red LED blinks after a refused command."""
    beep_seconds: Annotated[float, Field(gt=0, le=5)] = 0.3


class LcdSettings(ConfigModel):
    """Optional small text output: the serving number and the waiting count."""

    kind: Literal["none", "terminal", "i2c"] = "none"
    """``terminal``: lines on standard output (a console or a serial terminal);
    ``i2c``: an HD44780 character LCD behind a PCF8574 I2C backpack (needs RPLCD)."""
    i2c_address: Annotated[int, Field(ge=0x03, le=0x77)] = 0x27
    i2c_port: Annotated[int, Field(ge=0, le=10)] = 1
    columns: Annotated[int, Field(ge=8, le=40)] = 16
    rows: Annotated[int, Field(ge=1, le=4)] = 2


class RatingPad(ConfigModel):
    """The visitor-facing rating buttons (好差评评价器) of this counter.

    The number of buttons must equal ``policies.rating_scale`` (3 or 5), listed
    best first: for 3, 满意 / 基本满意 / 不满意; for 5, 非常满意 / 满意 / 基本满意
    / 不满意 / 非常不满意.
    """

    buttons: tuple[BcmPin, ...] = ()
    """One pin per level, best first; empty = no rating pad on this node."""
    leds: tuple[BcmPin, ...] = ()
    """Optional: one LED per button (same order), lit while a rating is accepted."""
    thanks_seconds: Annotated[float, Field(gt=0, le=30)] = 2.0
    """How long the chosen button's LED blinks after a rating was recorded."""
    reason_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0
    """On a 5-level pad, after a negative level the buttons name the reason (态度 / 效率 /
    业务 / 环境 / 其他, in button order) for this long; then the rating goes without one."""

    @model_validator(mode="after")
    def _leds_match(self) -> RatingPad:
        if self.leds and len(self.leds) != len(self.buttons):
            raise ValueError(f"rating.leds has {len(self.leds)} pins but rating.buttons has "
                             f"{len(self.buttons)}; give one LED per button or none")
        if self.buttons and len(self.buttons) not in (3, 5):
            raise ValueError(f"rating.buttons needs 3 or 5 pins (the rating scale), "
                             f"got {len(self.buttons)}")
        return self


class LongPress(ConfigModel):
    """Secondary actions on a long press: by default holding RECALL is a slow repeat
    (``recall = "recall_slow"``); ``recall = "no_show"`` makes it mark a no-show instead,
    ``actions = {}`` turns long presses off. A button with a long-press action fires its own
    action on release."""

    hold_seconds: Annotated[float, Field(ge=0.3, le=10)] = 1.5
    """How long a press must be held to count as long."""
    actions: dict[Action, LongAction] = {"recall": "recall_slow"}


class CallerNode(ConfigModel):
    """One caller node of the hall: the wiring of a counter's button box."""

    id: NodeId
    counters: tuple[Annotated[int, Field(ge=1, le=999)], ...] = ()
    """Counter numbers this wiring is used for (``callnext caller --counter N`` picks the
    block listing N). Empty: every counter not listed by another block."""
    gpio: Literal["lgpio", "rpigpio", "mock"] = "lgpio"
    """The gpiozero pin factory: ``lgpio`` on a Pi 5 and on Bookworm generally;
    ``mock`` only for demos without hardware (use ``--keyboard`` instead where you can)."""
    buttons: ButtonPins = ButtonPins()
    long_press: LongPress = LongPress()
    transfer: TransferSettings = TransferSettings()
    leds: LedPins = LedPins()
    lcd: LcdSettings = LcdSettings()
    rating: RatingPad = RatingPad()
    press_guard_ms: Annotated[int, Field(ge=50, le=2000)] = 400
    """After a press is taken, further presses of the same button within this time are
    ignored as contact bounce or phantom edges (one physical press = one command)."""
    debounce_ms: Annotated[int, Field(ge=0, le=100)] = 20
    """Hardware debounce asked of the pin driver (lgpio: "stable for N ms")."""

    @model_validator(mode="after")
    def _pins_unique(self) -> CallerNode:
        used: dict[int, str] = {}
        problems: list[str] = []
        wired: list[tuple[str, int | None]] = [
            *((f"buttons.{a}", p) for a, p in self.buttons.fitted().items()),
            ("leds.status", self.leds.status), ("leds.fault", self.leds.fault),
            ("leds.waiting", self.leds.waiting), ("leds.buzzer", self.leds.buzzer),
            *((f"rating.buttons[{i}]", p) for i, p in enumerate(self.rating.buttons)),
            *((f"rating.leds[{i}]", p) for i, p in enumerate(self.rating.leds)),
        ]
        for name, pin in wired:
            if pin is None:
                continue
            if pin in used:
                problems.append(f"GPIO{pin} is used by both {used[pin]} and {name}")
            else:
                used[pin] = name
        if self.lcd.kind == "i2c":
            # GPIO2/3 are the I2C bus of the LCD backpack.
            for pin in (2, 3):
                if pin in used:
                    problems.append(f"GPIO{pin} ({used[pin]}) is an I2C pin, "
                                    f"needed by lcd.kind = 'i2c'")
        # The default (RECALL held = slow repeat) applies when a RECALL button is fitted and
        # stays quiet when not; actions the hall wrote must name fitted buttons.
        chosen = "actions" in self.long_press.model_fields_set
        for source, target in self.long_press.actions.items():
            if chosen and source not in self.buttons.fitted():
                problems.append(f"long_press.actions.{source}: no '{source}' button is "
                                f"fitted (buttons.{source})")
            if source == target:
                problems.append(f"long_press.actions.{source}: same as the short press")
        if "transfer" in self.buttons.fitted() and not self.transfer.services:
            problems.append("buttons.transfer is fitted but transfer.services is empty; "
                            "name the target service(s)")
        if problems:
            raise ValueError("; ".join(problems))
        return self
