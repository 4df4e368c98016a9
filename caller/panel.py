"""The demo's caller panel: one small window with a row of buttons for every counter.

For ``callnext demo`` on one machine, in place of one caller keypad per
counter. Each row is a full caller node of its own: a ``CounterCaller`` with
its own request client under its own identity (``caller-N``, with that
counter's CURVE key), so the broker sees exactly what six keypads would send;
the buttons go through the same press filter and command worker as the
keyboard mode (``CounterCaller.key``). The row's text is the caller's small
text output (``caller.lcd.caller_lines``): serving number, waiting count and
the last refusal or transfer choice.

Run it with ``python -m caller.panel --config HALL --keys DIR`` (``--insecure``
for a broker without keys).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from caller.app import CounterCaller
from config.rating import LEVELS, REASONS
from config.schema import Counter, Hall
from protocol.client import RequestClient
from runtime.blocks import caller_block
from runtime.kivy_setup import configure_window, register_fonts
from runtime.messages import render
from runtime.node import NodeRuntime
from runtime.security import add_security_args, security_from_args

logger = logging.getLogger(__name__)

ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("call_next", "叫号", "Call next"),
    ("recall", "重呼", "Recall"),
    ("no_show", "过号", "No-show"),
    ("pause", "暂停/恢复", "Pause"),
    ("transfer", "转移", "Transfer"),
    ("finish", "办结", "Finish"),
)
"""The buttons of every row, in keypad order: (action, Chinese, English)."""

TICK_S = 0.05
"""Panel tick: transfer choices settle and row texts refresh within this."""


class RowText:
    """A caller's text output kept as the row's label text (the ``TextOutput`` port).

    ``CounterCaller.tick`` calls ``show``; the panel reads ``text``.
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self.lines: list[str] = []

    def show(self, lines: list[str]) -> None:
        """Keep the caller's lines.

        Args:
            lines: the lines to show.
        """
        self.lines = list(lines)

    @property
    def text(self) -> str:
        """The row's label: the counter's name, then the caller's lines."""
        return "\n".join([self.title, *(line for line in self.lines if line)])

    def close(self) -> None:
        """Nothing to release."""


class CallerPanel:
    """Every counter's caller, without Kivy.

    Args:
        hall: the hall.
        command_endpoint: the broker's command endpoint.
        event_endpoint: the broker's event endpoint.
        socket_setup_for: CURVE set-up for a node name (None: an insecure broker).
    """

    def __init__(self, hall: Hall, command_endpoint: str, event_endpoint: str,
                 socket_setup_for: Callable[[str], Callable[[Any], None] | None]) -> None:
        self.hall = hall
        numbers = [c.number for c in hall.counters]
        # One mirror feeds every row; it reads the public view under the first caller's name.
        first = caller_block(hall, numbers[0], need_block=False)[1]
        self.runtime = NodeRuntime(hall, first, socket_setup=socket_setup_for(first),
                                   endpoints=(command_endpoint, event_endpoint),
                                   timeout_ms=800, retries=2, silence_s=3.0)
        self.clients: list[RequestClient] = []
        self.callers: dict[int, CounterCaller] = {}
        self.rows: dict[int, RowText] = {}
        try:
            for counter in hall.counters:
                self._add_row(counter, command_endpoint, socket_setup_for)
        except BaseException:
            self.close()
            raise

    def _add_row(self, counter: Counter, command_endpoint: str,
                 socket_setup_for: Callable[[str], Callable[[Any], None] | None]) -> None:
        node, wire = caller_block(self.hall, counter.number, need_block=False)
        client = RequestClient(command_endpoint, wire, timeout_ms=800, retries=2,
                               socket_setup=socket_setup_for(wire))
        self.clients.append(client)
        name = counter.name
        title = (f"{name.zh} {name.en}" if name
                 else f"{counter.number}号窗口 Counter {counter.number}")
        row = RowText(title)
        # The row shows what a terminal LCD would (Chinese allowed), plus a note line.
        lcd = node.lcd.model_copy(update={"kind": "terminal", "columns": 40, "rows": 3})
        self.callers[counter.number] = CounterCaller(
            self.hall, node.model_copy(update={"lcd": lcd}), counter.number,
            send=client.request, view=self.runtime.model,
            link_ok=lambda: self.runtime.connected, broker_now=self.runtime.broker_now, text=row)
        self.rows[counter.number] = row

    def start(self) -> None:
        """Start every caller's command worker and the mirror."""
        for caller in self.callers.values():
            caller.start()
        self.runtime.start()

    def press(self, counter: int, action: str) -> None:
        """A clerk's button press at ``counter`` (returns at once; the worker sends it).

        Args:
            counter: the counter number.
            action: one of ``ACTIONS``' action names.
        """
        self.callers[counter].key(action)

    def rate(self, counter: int, button: int) -> None:
        """A visitor's press on the row's rating pad (``button`` 0 = the first label)."""
        self.callers[counter].key(f"rate{button}")

    def pad_labels(self, counter: int) -> list[str]:
        """The row's rating buttons, first to last: the levels best first, or, after a
        negative level, the reasons (态度 / 效率 / 业务 / 环境 / 其他) in Chinese and English."""
        caller = self.callers[counter]
        if caller.reasons.waiting:
            keys = [f"rating.reason.{reason}" for reason in REASONS]
        else:
            keys = [f"rating.level.{level}" for level in reversed(LEVELS[caller.rating.scale])]
        return [f"{render(key, {}, 'zh')}\n{render(key, {}, 'en')}" for key in keys]

    def tick(self) -> None:
        """One round for every caller: settle transfer choices, refresh row texts."""
        for caller in self.callers.values():
            caller.tick()

    def close(self) -> None:
        """Stop the workers and the mirror, close every socket."""
        for caller in self.callers.values():
            caller.stop()
        self.runtime.close()
        for client in self.clients:
            client.close()


def _pad_row(panel: CallerPanel, number: int, pads: dict[int, list[Any]]) -> Any:
    """The visitor's rating pad of a row (好差评): one Kivy button per level or reason."""
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button
    from kivy.uix.label import Label

    pad = BoxLayout(orientation="horizontal", spacing=4, size_hint_y=0.6)
    pad.add_widget(Label(text="评价 Rating", size_hint_x=0.34, font_size="12sp"))
    pads[number] = []
    for index, text in enumerate(panel.pad_labels(number)):
        button = Button(text=text, halign="center", font_size="12sp")
        button.bind(on_release=lambda b, n=number, i=index: panel.rate(n, i))
        pads[number].append(button)
        pad.add_widget(button)
    return pad


def run_panel(panel: CallerPanel, size: tuple[int, int] = (1100, 640)) -> int:
    """Show the panel's window until it is closed (or SIGTERM/SIGINT).

    Args:
        panel: the callers (started here, closed by the caller of this function).
        size: the window size in pixels.

    Returns:
        0.
    """
    configure_window(size)
    register_fonts()
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button
    from kivy.uix.label import Label

    labels: dict[int, Any] = {}
    pads: dict[int, list[Any]] = {}

    class PanelApp(App):  # type: ignore[misc]
        title = "callnext 窗口叫号器 / counter callers (demo)"

        def build(self) -> Any:
            root = BoxLayout(orientation="vertical", padding=6, spacing=4)
            for number in panel.callers:
                row = BoxLayout(orientation="horizontal", spacing=4)
                label = Label(text=panel.rows[number].text, halign="left", valign="middle",
                              size_hint_x=0.34, font_size="13sp")
                label.bind(size=lambda w, v: setattr(w, "text_size", v))
                labels[number] = label
                row.add_widget(label)
                for action, zh, en in ACTIONS:
                    button = Button(text=f"{zh}\n{en}", halign="center", font_size="13sp")
                    button.bind(on_release=lambda b, n=number, a=action: panel.press(n, a))
                    row.add_widget(button)
                root.add_widget(row)
                root.add_widget(_pad_row(panel, number, pads))
            Clock.schedule_interval(self._tick, TICK_S)
            return root

        def _tick(self, dt: float) -> None:
            panel.tick()
            for number, label in labels.items():
                label.text = panel.rows[number].text
                for button, text in zip(pads[number], panel.pad_labels(number), strict=True):
                    button.text = text

    panel.start()
    PanelApp().run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m caller.panel``: the demo's caller panel process.

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m caller.panel",
                                     description="Buttons for every counter's caller (demo).")
    parser.add_argument("--config", required=True, help="hall TOML file")
    add_security_args(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from foundation.errors import CallnextError
    from config.load import load_hall

    try:
        hall = load_hall(args.config)
        panel = CallerPanel(hall, hall.broker.command_endpoint(), hall.broker.event_endpoint(),
                            security_from_args(args, hall).socket_setup)
    except CallnextError as err:
        print(f"caller panel: {err}", file=sys.stderr)
        return 2
    try:
        return run_panel(panel)
    except KeyboardInterrupt:
        return 130
    finally:
        panel.close()


if __name__ == "__main__":
    sys.exit(main())
