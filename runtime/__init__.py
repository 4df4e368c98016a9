"""The nodes' shared runtime: what every node (kiosk, display, caller, later web) needs.

Below the nodes and above ``hw/``; see docs/architecture.md.

* ``runtime.blocks``: this node's block of the hall file (``kiosk_block``, ``display_block``,
  ``caller_block``, all on ``select_block``).
* ``runtime.security``: ``[security]`` of the hall file with ``--keys``/``--insecure`` over it.
* ``runtime.node``: ``NodeRuntime``, the request client, state mirror, broker clock and
  health reporter of one node.
* ``runtime.health``: ``HealthReporter``, the one way a node tells the broker how its parts are.
* ``runtime.kivy_setup``: window set-up and the CJK font for nodes with a screen.
"""
