"""The queue broker: the single writer that owns the hall's queues."""
