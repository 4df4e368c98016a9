"""callnext: queue-calling system for service halls."""

__version__ = "0.1.0"
