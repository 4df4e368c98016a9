"""Subcommands of the kiosk node, registered into the ``callnext`` command.

Kivy and escpos are imported only inside the command functions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from runtime.security import add_security_args


def _kiosk(args: argparse.Namespace) -> int:
    from config.load import load_hall
    from kiosk.app import render_screenshot, run_kiosk, sample_screen
    from runtime.blocks import kiosk_block

    hall = load_hall(args.config)
    node = kiosk_block(hall, args.node)
    if args.screenshot:
        screen = sample_screen(hall, node, args.screen, args.language)
        path = render_screenshot(screen, Path(args.screenshot), node.window_size)
        print(f"screenshot of {args.screen}: {path}")
        return 0
    from runtime.security import security_from_args

    return run_kiosk(hall, node, security_from_args(args, hall), fullscreen=not args.windowed)


def _ticket_preview(args: argparse.Namespace) -> int:
    import time

    from config.load import load_hall
    from kiosk.app import KioskSetupError
    from kiosk.issuing import ticket_doc
    from protocol.results import TicketIssued
    from kiosk.ticket import compose_ticket, ticket_picture
    from runtime.blocks import kiosk_block

    hall = load_hall(args.config)
    node = kiosk_block(hall, args.node)
    service = hall.service(args.service)
    if service is None:
        raise KioskSetupError(f"unknown service {args.service!r}; known: "
                              + ", ".join(s.id for s in hall.services))
    result = TicketIssued(ticket=f"{service.prefix}012", service=service.id, kind="walkin",
                          ahead=5, estimate_min=23.0, wait_min=23, issued_at=time.time(),
                          expected_at=None, late=False, after_hours=False)
    doc = ticket_doc(hall, node, result)
    data = compose_ticket(doc, node.printer)
    Path(args.out).write_bytes(data)
    print(f"{len(data)} bytes of ESC/POS for {doc.ticket} ({node.printer.profile}, "
          f"{node.printer.paper_width_mm} mm, chinese={node.printer.chinese}) -> {args.out}")
    if args.png:
        ticket_picture(doc, node.printer).save(args.png)
        print(f"picture -> {args.png}")
    return 0


def _appointments_import(args: argparse.Namespace) -> int:
    from config.load import load_hall
    from kiosk.appointments import IMPORT_TIMEOUT_MS, AppointmentImportError, import_csv

    from protocol.client import RequestClient
    from runtime.security import socket_setup_for

    hall = load_hall(args.config)
    endpoint = args.endpoint or hall.broker.command_endpoint()
    # Importing bookings is an admin act: it signs with the admin key.
    client = RequestClient(endpoint, args.node, timeout_ms=IMPORT_TIMEOUT_MS, retries=3,
                           socket_setup=socket_setup_for(args, hall, args.node))
    try:
        booked = import_csv(Path(args.file), hall, endpoint, node=args.node, client=client)
    except AppointmentImportError as err:
        print(str(err), file=sys.stderr)
        return 1
    finally:
        client.close()
    print(f"已导入 {booked} 条预约 / {booked} booking(s) imported from {args.file}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``kiosk``, ``ticket-preview`` and ``appointments`` subcommands."""
    from kiosk.screens import SCREENS

    kiosk = subparsers.add_parser("kiosk", help="run the ticket kiosk (touch screen + printer)")
    kiosk.add_argument("--config", required=True, help="hall TOML file")
    add_security_args(kiosk)
    kiosk.add_argument("--node", help="the [[kiosks]] id (needed when there are several)")
    kiosk.add_argument("--windowed", action="store_true", help="not fullscreen (bench setups)")
    kiosk.add_argument("--screenshot", metavar="FILE",
                       help="render one screen with sample data to a PNG, headless, and exit")
    kiosk.add_argument("--screen", default="home", choices=SCREENS,
                       help="which screen --screenshot renders")
    kiosk.add_argument("--language", default="zh", choices=["zh", "en"],
                       help="language shown large in the screenshot")
    kiosk.set_defaults(run=_kiosk)

    preview = subparsers.add_parser("ticket-preview",
                                    help="write the exact printer bytes of a sample ticket")
    preview.add_argument("--config", required=True, help="hall TOML file")
    preview.add_argument("--node", help="the [[kiosks]] id whose printer settings to use")
    preview.add_argument("--service", required=True, help="service id of the sample ticket")
    preview.add_argument("--out", required=True, help="file for the ESC/POS bytes")
    preview.add_argument("--png", help="also draw the ticket to this PNG")
    preview.set_defaults(run=_ticket_preview)

    appointments = subparsers.add_parser("appointments", help="appointment bookings (预约)")
    app_sub = appointments.add_subparsers(dest="appointments_command", required=True,
                                          metavar="ACTION")
    imp = app_sub.add_parser("import", help="load bookings from a CSV file into the broker")
    imp.add_argument("file", help="CSV with the header code,service,start,end")
    imp.add_argument("--config", required=True, help="hall TOML file")
    imp.add_argument("--endpoint", help="broker command endpoint (default from config)")
    imp.add_argument("--node", default="admin",
                     help="node (and key) the request is sent as (default: admin)")
    add_security_args(imp)
    imp.set_defaults(run=_appointments_import)
