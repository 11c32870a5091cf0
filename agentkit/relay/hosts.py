"""Which `Host` names the relay answers: the defence against DNS rebinding.

A page on a name the attacker controls can make that name resolve to 127.0.0.1 (or any address the
browser reaches), and the browser then sends the relay *that* name as `Host` and as its `Origin`: an
origin check alone lets it in. So the relay answers only the names it is configured to serve, and by
default those are the loopback names, which no attacker's DNS can claim.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection

LOOPBACK_NAMES: frozenset[str] = frozenset({"localhost", "127.0.0.1", "::1"})
"""The names a relay serves unless told otherwise (any 127.x.x.x address counts as loopback too)."""


def host_name(header: str) -> str:
    """The name in a `Host` header, lower case, without its port, brackets or trailing dot."""
    text = header.strip().lower()
    if text.startswith("["):  # [v6]:port
        return text[1:].partition("]")[0]
    if text.count(":") == 1:
        text = text.partition(":")[0]
    return text.rstrip(".")


def _is_loopback_address(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class AllowedHosts:
    """A set of served names: exact names, `.example.com` for that domain and every subdomain, or
    `*` for any name (only behind a proxy that checks `Host` itself). None means the loopback names.
    """

    def __init__(self, names: Collection[str] | None = None) -> None:
        if isinstance(names, str):
            raise TypeError("allowed_hosts takes a collection of names, not one string")
        self.loopback_only = names is None
        chosen = LOOPBACK_NAMES if names is None else names
        self._any = "*" in chosen
        cleaned = {
            host_name(name) if not name.startswith(".") else name.lower().rstrip(".") for name in chosen
        }
        self._exact = frozenset(name for name in cleaned if not name.startswith(".") and name != "*")
        self._domains = tuple(name for name in cleaned if name.startswith("."))

    def __repr__(self) -> str:
        names = sorted([*self._exact, *self._domains, *(["*"] if self._any else [])])
        return f"AllowedHosts({names!r})"

    def allows(self, header: str | None) -> bool:
        """Whether a request with this `Host` header (None: none sent) may be answered."""
        if self._any:
            return True
        if not header:
            return False  # HTTP/1.1 requires Host; a request without one is not from a browser page
        name = host_name(header)
        if name in self._exact:
            return True
        if self.loopback_only and _is_loopback_address(name):
            return True
        return any(name == domain[1:] or name.endswith(domain) for domain in self._domains)
