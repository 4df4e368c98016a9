"""The counter caller (GPIO buttons, LCD, LEDs) runs on the smallest Pi: no Kivy, no GL.

Issue #17: the Kivy nodes were slimmed; the caller must stay out of that weight altogether.
Checked in a fresh interpreter, so nothing another test imported can hide an import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import caller.run, caller.cli, caller.worker
loaded = sorted({name.split(".")[0] for name in sys.modules})
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:"))
print(json.dumps({"modules": loaded, "rss_kib": rss}))
"""


def test_caller_node_imports_no_kivy_and_stays_small() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert not {"kivy", "PIL", "escpos", "numpy"} & set(found["modules"])
    # Python, pydantic, the hall schema and ZeroMQ: far below a Kivy node's ~180 MiB.
    assert found["rss_kib"] < 80 * 1024
