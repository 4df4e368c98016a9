"""The nodes' shared runtime: what every node (kiosk, display, caller, later web) needs.

Below the nodes and above ``hw/``; see docs/architecture.md.
"""
