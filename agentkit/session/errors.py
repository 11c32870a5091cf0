"""How a session tells its caller that it cannot go on."""

from __future__ import annotations


class SessionClosed(RuntimeError):
    """The session ended: closed by the application, or the connection was lost for good.

    `ask()`, the event iterators and every command raise it once the session is over; when the
    session ended because reconnecting failed, `__cause__` is the last connection error.
    """
