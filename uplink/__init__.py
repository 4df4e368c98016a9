"""The uplink: ships the hall's journal, in order and exactly once, to the city's PostgreSQL.

``callnext uplink`` (``uplink.cli``) reads the broker's journal read-only and copies
every event into ``callnext_events`` (``uplink.schema``), one transaction per batch
(``uplink.shipper``), through outages (``uplink.loop``). ``uplink.city`` computes the
period report across halls from the central store, in SQL. docs/central.md.
"""
