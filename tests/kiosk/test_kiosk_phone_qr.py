"""The ticket's QR code: the visitor's phone page when the hall has ``[web] public_url`` and
the broker gave a token, else the kiosk's ``qr_template`` as before."""

from __future__ import annotations

from config.kiosk_node import KioskNode
from config.schema import Hall
from kiosk.issuing import ticket_doc
from protocol.results import TicketIssued
from tests.conftest import at

TOKEN = "q7Hc0Jm5Xn2pT8vLw1Zb9dKe"


def _result(track: str | None) -> TicketIssued:
    return TicketIssued(ticket="A005", service="general", kind="walkin", ahead=4,
                        estimate_min=8.3, wait_min=9, issued_at=at("09:00"),
                        expected_at=at("09:00") + 498, late=False, after_hours=False,
                        track=track)


def _with_url(hall: Hall, url: str | None) -> Hall:
    return hall.model_copy(update={"web": hall.web.model_copy(update={"public_url": url})})


def test_the_qr_code_leads_to_the_phone_page_with_a_public_url(hall: Hall) -> None:
    doc = ticket_doc(_with_url(hall, "http://192.168.20.2:8080/"), KioskNode(id="kiosk-1"),
                     _result(TOKEN))
    assert doc.qr_payload == f"http://192.168.20.2:8080/t/{TOKEN}"


def test_without_a_public_url_or_a_token_the_qr_code_keeps_its_template(hall: Hall) -> None:
    node = KioskNode(id="kiosk-1")
    assert ticket_doc(_with_url(hall, None), node, _result(TOKEN)).qr_payload == \
        "A005@2026-11-25"
    # An older broker sends no token: nothing to lead a phone to.
    assert ticket_doc(_with_url(hall, "http://192.168.20.2:8080/"), node,
                      _result(None)).qr_payload == "A005@2026-11-25"
