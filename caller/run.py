"""The caller process: build the real parts, run the main loop, tear down.

``CallerNodeRuntime`` wires a ``CounterCaller`` to the node runtime (state
mirror, request client, broker clock) and gpiozero devices on the pin factory
it is given (tests and benchmarks pass a ``MockFactory``; the process builds
the configured one).
The main loop ticks the caller and pets the systemd watchdog; READY=1 is sent
once config, GPIO and sockets are up.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from typing import Any, Callable, TextIO

from caller.app import CounterCaller, Devices
from caller.keyboard import decode_key, help_text, raw_terminal, read_keys
from caller.lcd import TextOutput, open_text_output
from config.caller_node import CallerNode
from config.schema import Hall
from foundation import sdnotify
from foundation.heap import settle_heap
from hw.gpio import ButtonBank, open_buzzer, open_led
from runtime.blocks import caller_block
from runtime.node import NodeRuntime
from runtime.security import node_security

logger = logging.getLogger(__name__)

TICK_S = 0.02
"""Main-loop period: long presses and LEDs react within this."""


class CallerNodeRuntime:
    """A running caller node: the node runtime (mirror, client, broker clock), worker, devices.

    Args:
        hall: the hall.
        node: the caller block.
        counter: the counter number.
        wire_node: the node id sent with every request.
        command_endpoint: the broker's command endpoint.
        event_endpoint: the broker's event endpoint.
        pin_factory: the gpiozero factory, or None for no GPIO (keyboard mode).
        text: the text output, or None.
        socket_setup: CURVE keys for every socket (None: insecure mode).
        monotonic: the clock.
    """

    def __init__(self, hall: Hall, node: CallerNode, counter: int, *, wire_node: str,
                 command_endpoint: str, event_endpoint: str, pin_factory: Any | None,
                 text: TextOutput | None = None,
                 socket_setup: Callable[[Any], None] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        # A short timeout and two attempts: a press is answered or shown as failed
        # within ~2 s, and a dropped socket never delivers a stale press later.
        self.runtime = NodeRuntime(hall, wire_node, socket_setup=socket_setup,
                                endpoints=(command_endpoint, event_endpoint),
                                timeout_ms=800, retries=2, silence_s=3.0)
        self.client = self.runtime.client
        self.mirror = self.runtime.mirror
        self.buttons: ButtonBank | None = None
        opened: list[Any] = []
        try:
            devices = _open_devices(node, pin_factory)
            opened = [d for d in (devices.status, devices.fault, devices.waiting,
                                  devices.buzzer, *devices.rating_leds) if d is not None]
            self.devices = devices
            self.caller = CounterCaller(
                hall, node, counter, send=self.client.request, view=self.runtime.model,
                link_ok=lambda: self.runtime.connected, broker_now=self.runtime.broker_now,
                devices=devices, text=text, monotonic=monotonic)
            if pin_factory is not None:
                pins: dict[str, int] = dict(node.buttons.fitted())
                pins.update({f"rate{i}": pin for i, pin in enumerate(node.rating.buttons)})
                self.buttons = ButtonBank(pins, pin_factory, self.caller.edge,
                                          debounce_s=node.debounce_ms / 1000.0)
        except BaseException:
            for device in opened:
                device.close()
            self.runtime.close()
            raise
        self._opened = opened
        self._text = text

    def start(self) -> None:
        """Start the mirror thread and the command worker."""
        self.caller.start()
        self.runtime.start()

    def close(self) -> None:
        """Stop threads and release every device and socket."""
        self.caller.stop()
        if self.buttons is not None:
            self.buttons.close()
        for device in self._opened:
            device.close()
        self.runtime.close()
        if self._text is not None:
            self._text.close()


def _open_devices(node: CallerNode, pin_factory: Any | None) -> Devices:
    """The caller's LEDs and buzzer on ``pin_factory`` (none without one: keyboard mode)."""
    if pin_factory is None:
        return Devices()
    return Devices(status=open_led(node.leds.status, pin_factory),
                   fault=open_led(node.leds.fault, pin_factory),
                   waiting=open_led(node.leds.waiting, pin_factory),
                   buzzer=open_buzzer(node.leds.buzzer, pin_factory),
                   rating_leds=tuple(open_led(p, pin_factory) for p in node.rating.leds))


def main_loop(runtime: CallerNodeRuntime, stop: threading.Event,
              watchdog: sdnotify.Watchdog | None = None) -> None:
    """Tick the caller until ``stop`` is set, petting the systemd watchdog.

    The watchdog is fed from here, so a wedged loop (not a wedged network)
    gets the node restarted.

    Args:
        runtime: the running node.
        stop: set to end the loop.
        watchdog: the watchdog (one reading the environment by default).
    """
    dog = watchdog if watchdog is not None else sdnotify.Watchdog()
    last_status = ""
    while not stop.is_set():
        runtime.caller.tick()
        dog.pet()
        status = "connected to broker" if runtime.mirror.connected else "broker unreachable"
        if status != last_status:
            sdnotify.notify(status=f"counter {runtime.caller.counter}: {status}")
            last_status = status
        stop.wait(TICK_S)


def run_caller(config: Path | str, counter: int, *, keyboard: bool = False,
               node_id: str | None = None, keys: str | None = None, insecure: bool = False,
               stdin: TextIO | None = None) -> int:
    """Run the caller node process until SIGTERM/SIGINT (or ``q`` in keyboard mode).

    Args:
        config: the hall TOML file.
        counter: the counter number.
        keyboard: drive it from the keyboard instead of GPIO buttons.
        node_id: the ``[[callers]]`` block id to use (default: by counter).
        keys: the CURVE keys directory (holding ``<node id>.key_secret`` and
            ``broker.key``) instead of the hall file's ``security.keys_dir``.
        insecure: no CURVE (closed test networks; the broker must run --insecure too),
            whatever the hall file's ``security.insecure`` says.
        stdin: the keyboard input (standard input by default).

    Returns:
        0 after a clean stop.

    Raises:
        CallnextError: the config, keys, GPIO or LCD cannot be used.
    """
    from config.load import load_hall
    from hw.gpio import make_pin_factory

    hall = load_hall(config)
    node, wire = caller_block(hall, counter, node_id, need_block=not keyboard)
    socket_setup = node_security(hall, keys=keys, insecure=insecure).socket_setup(wire)
    pin_factory = None if keyboard else make_pin_factory(node.gpio)
    text = open_text_output(node.lcd) if not keyboard else open_text_output(
        node.lcd.model_copy(update={"kind": "terminal"}))
    runtime = CallerNodeRuntime(hall, node, counter, wire_node=wire,
                                command_endpoint=hall.broker.command_endpoint(),
                                event_endpoint=hall.broker.event_endpoint(),
                                pin_factory=pin_factory, text=text,
                                socket_setup=socket_setup)
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    runtime.start()
    # Everything built so far stays all day: out of the collector's full passes, which
    # otherwise stall a press on its way to the broker for tens of milliseconds.
    settle_heap()
    sdnotify.notify(ready=True, status=f"counter {counter}: starting")
    logger.info("caller for counter %d running as node %r (%s)", counter, wire,
                "keyboard" if keyboard else f"GPIO {node.gpio}")
    if keyboard:
        threading.Thread(target=_keyboard, args=(runtime, stop, stdin, hall.policies.rating_scale),
                         name="caller-keyboard", daemon=True).start()
    try:
        main_loop(runtime, stop)
    finally:
        sdnotify.notify(stopping=True)
        runtime.close()
    return 0


def _keyboard(runtime: CallerNodeRuntime, stop: threading.Event, stdin: TextIO | None,
              scale: int) -> None:
    import sys

    stream = stdin if stdin is not None else sys.stdin
    print(help_text(scale), flush=True)
    with raw_terminal(stream):
        for char in read_keys(stream):
            press = decode_key(char, scale)
            if press is None:
                continue
            if press.name == "quit":
                break
            runtime.caller.key(press.name, long=press.long)
    stop.set()
