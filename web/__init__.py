"""The staff console: a web node for clerks (``/counter``) and the hall manager (``/``).

Starlette + uvicorn in one process; the broker's public view arrives through the node
runtime's mirror and is fanned out to every open page over server-sent events.
"""
