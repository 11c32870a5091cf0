"""TwiML for a bidirectional Media Stream: `<Connect><Stream url=...>` with custom parameters."""

from __future__ import annotations

from collections.abc import Mapping
from xml.sax.saxutils import quoteattr

TWIML_TYPE = "text/xml; charset=utf-8"


def connect_stream(url: str, parameters: Mapping[str, str] | None = None, *, name: str | None = None) -> str:
    """A TwiML document that connects the call to the WebSocket at `url` (wss://...). Parameters come
    back in the stream's `start` frame (`customParameters`); Twilio never puts them in a URL."""
    if not url.startswith(("wss://", "ws://")):
        raise ValueError(f"a Media Stream URL starts with wss:// (ws:// only for local tests), got {url!r}")
    name_attr = f" name={quoteattr(name)}" if name else ""
    params = "".join(
        f"<Parameter name={quoteattr(key)} value={quoteattr(value)}/>"
        for key, value in (parameters or {}).items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Connect><Stream url={quoteattr(url)}{name_attr}>{params}</Stream></Connect></Response>"
    )


def reject(reason: str = "busy") -> str:
    """TwiML that refuses the call (`busy` or `rejected`), so the caller hears a busy tone."""
    value = reason if reason in ("busy", "rejected") else "rejected"
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="{value}"/></Response>'
