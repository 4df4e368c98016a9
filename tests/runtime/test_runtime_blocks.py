"""One lookup of this node's block for every node, with errors that say what to fix."""

from __future__ import annotations

import pytest

from config.display_node import DisplayNode
from config.kiosk_node import KioskNode
from runtime.blocks import NodeSetupError, display_block, kiosk_block, select_block
from tests.conftest import small_hall


def test_the_only_block_is_taken_and_an_id_picks_one_of_several() -> None:
    one = small_hall().model_copy(update={"kiosks": (KioskNode(id="kiosk-1"),)})
    assert kiosk_block(one, None).id == "kiosk-1"
    two = small_hall().model_copy(update={"kiosks": (KioskNode(id="kiosk-1"),
                                                     KioskNode(id="kiosk-2"))})
    assert kiosk_block(two, "kiosk-2").id == "kiosk-2"
    with pytest.raises(NodeSetupError, match=r"several \[\[kiosks\]\] blocks .* --node "
                                             r"\(kiosk-1, kiosk-2\)"):
        kiosk_block(two, None)


def test_an_unknown_id_names_the_ids_there_are() -> None:
    hall = small_hall().model_copy(update={"displays": (DisplayNode(id="display-1"),)})
    with pytest.raises(NodeSetupError, match=r"no \[\[displays\]\] block has id 'display-9' "
                                             r"in the hall file \(ids: display-1\); fix --node"):
        display_block(hall, "display-9")


def test_no_block_is_an_error_unless_the_node_has_defaults() -> None:
    hall = small_hall()
    with pytest.raises(NodeSetupError, match=r"no \[\[kiosks\]\] block .*hall.example.toml"):
        kiosk_block(hall, None)
    assert display_block(hall, None) == DisplayNode(id="display")
    assert select_block((), None, table="x", default="fallback") == "fallback"  # type: ignore[type-var]
