"""``python -m bench``: latency, throughput, replay and memory figures for the broker.

The package only defines functions; nothing runs at import time. See
``bench.__main__`` for the command line and ``bench.broker_bench`` /
``bench.replay_bench`` for what is measured and how.
"""
