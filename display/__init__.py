"""The wall display (叫号显示屏): the live board and the spoken calls."""
