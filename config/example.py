"""The example halls shipped inside the package: where a technician's hall file starts.

A node installed from the wheel has no source tree to copy ``config/hall.example.toml``
from, so ``callnext example-hall --out /etc/callnext/hall.toml`` writes it from here,
and ``callnext demo`` runs it when no hall file is named.
"""

from __future__ import annotations

import os
from pathlib import Path

from foundation.errors import CallnextError

EXAMPLES = {"full": "hall.example.toml", "minimal": "hall.minimal.toml"}
"""Kind -> file name next to this module: the commented example hall, and the smallest valid one."""


class ExampleError(CallnextError):
    """The example hall could not be written (the file exists, or the folder is not writable)."""


def example_path(kind: str = "full") -> Path:
    """The installed example hall file of ``kind`` (a key of ``EXAMPLES``).

    Raises:
        KeyError: ``kind`` is not a known example.
    """
    return Path(__file__).with_name(EXAMPLES[kind])


def write_example(out: str | os.PathLike[str], kind: str = "full", *, force: bool = False) -> Path:
    """Write the example hall of ``kind`` to ``out``, byte for byte as shipped.

    An existing file is kept (an edited hall file must never be lost) unless ``force``.

    Returns:
        The path written.

    Raises:
        ExampleError: ``out`` exists and ``force`` is False, or it cannot be written.
    """
    target = Path(out)
    data = example_path(kind).read_bytes()
    try:
        # "x" refuses an existing file in the same system call that creates the new one.
        with open(target, "wb" if force else "xb") as handle:
            handle.write(data)
    except FileExistsError as err:
        raise ExampleError(f"{target} exists and was kept; pass --force to replace it with the "
                           "example, or write the example elsewhere") from err
    except OSError as err:
        raise ExampleError(f"cannot write {target}: {err.strerror or err}; check that the "
                           "folder exists and is writable") from err
    return target
