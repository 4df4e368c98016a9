"""Reading SQLite's write-ahead log the way its recovery does, to say what a power cut left."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

_WAL_MAGICS = (0x377F0682, 0x377F0683)  # little- / big-endian checksums
_WAL_HEADER = 32
_FRAME_HEADER = 24


@dataclass(frozen=True)
class WalTail:
    """What ``inspect_wal`` found: bytes of the log SQLite will use, and an unusable tail.

    Attributes:
        size: the log's size in bytes.
        committed_end: offset just after the last complete transaction.
        torn_bytes: bytes of an incomplete write after it (0 when the log is clean).
        header_ok: False when the log's header itself is damaged, so SQLite will
            ignore every transaction in it that was not yet copied to the database.
    """

    size: int
    committed_end: int
    torn_bytes: int
    header_ok: bool


def _wal_checksum(data: bytes, s0: int, s1: int, big_endian: bool) -> tuple[int, int]:
    """SQLite's WAL checksum (fibonacci-weighted sums of 32-bit words) continued over ``data``."""
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def inspect_wal(path: Path) -> WalTail | None:
    """Check a write-ahead log the way SQLite's recovery reads it (header, salts, checksums).

    Frames after the last commit frame that belong to the current log generation
    (same salts), or a partial frame, are the trace of a write cut short. Whole
    frames with other salts are stale leftovers of an earlier generation, which
    SQLite reuses the file over; they are not damage.

    Returns:
        None when there is no log (or it is empty).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if not data:
        return None
    if len(data) < _WAL_HEADER:
        return WalTail(len(data), 0, len(data), header_ok=False)
    magic, _version, page_size, _ckpt, salt1, salt2, c1, c2 = struct.unpack(
        ">8I", data[:_WAL_HEADER])
    big_endian = magic == _WAL_MAGICS[1]
    if magic not in _WAL_MAGICS or page_size < 512 or page_size & (page_size - 1) or \
            _wal_checksum(data[:24], 0, 0, big_endian) != (c1, c2):
        return WalTail(len(data), 0, len(data), header_ok=False)
    frame = _FRAME_HEADER + page_size
    s0, s1 = c1, c2
    offset = committed_end = _WAL_HEADER
    while offset + frame <= len(data):
        _page, commit, f_salt1, f_salt2, f1, f2 = struct.unpack(
            ">6I", data[offset:offset + _FRAME_HEADER])
        if (f_salt1, f_salt2) != (salt1, salt2):
            break
        s0, s1 = _wal_checksum(data[offset:offset + 8], s0, s1, big_endian)
        s0, s1 = _wal_checksum(data[offset + _FRAME_HEADER:offset + frame], s0, s1, big_endian)
        if (s0, s1) != (f1, f2):
            break
        offset += frame
        if commit:
            committed_end = offset
    torn = offset - committed_end
    rest = data[offset:]
    if rest:
        same_generation = len(rest) >= 16 and struct.unpack(">2I", rest[8:16]) == (salt1, salt2)
        if same_generation or (len(data) - _WAL_HEADER) % frame:
            torn += len(rest)
    return WalTail(len(data), committed_end, torn, header_ok=True)
