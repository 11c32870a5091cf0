"""Keeping keys and tokens out of reprs, messages and logs.

A `Secret` never prints its value; `redact` scrubs known secret values (raw and URL-encoded) from
text; `RedactingLogger` does that to every record websockets logs, because at DEBUG level websockets
writes the handshake's request line and headers (the `api-key` header, the bearer token, a key in
the query string) into the log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

MASK = "***"

if TYPE_CHECKING:
    _LoggerAdapter = logging.LoggerAdapter[logging.Logger]
else:
    _LoggerAdapter = logging.LoggerAdapter


class Secret:
    """A key or token that shows itself only through `reveal()`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("a key or token must be a non-empty string")
        self._value = value.strip()

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __reduce__(self) -> Any:
        raise TypeError("secrets are not picklable")


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret (as is, or URL-encoded) replaced by `***`."""
    for secret in secrets:
        if not secret:
            continue
        for form in {secret, quote(secret, safe=""), quote_plus(secret, safe="")}:
            text = text.replace(form, MASK)
    return text


_CREDENTIAL_PATTERNS = (
    # header lines as websockets logs them: `> api-key: …`, `> Authorization: Bearer …`
    re.compile(r"(?im)^([<> ]*(?:api-key|authorization|openai-organization)\s*:\s*(?:bearer\s+)?)\S+"),
    # a key in a query string
    re.compile(r"(?i)([?&](?:api-key|authorization|key|ticket|token|resume)=)[^&\s'\"]+"),
    # the browser subprotocols that carry a key (the service's) or a ticket (the relay's)
    re.compile(r"((?:openai-insecure-api-key|agentkit\.ticket)\.)[^,\s'\"]+"),
)


def redact_credentials(text: str) -> str:
    """`text` with anything in the place of a credential (auth headers, key query parameters, key
    subprotocols) masked: for logs of a server, which cannot know the secrets a client will send."""
    for pattern in _CREDENTIAL_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class RedactingLogger(_LoggerAdapter):
    """A logger adapter that formats each message itself and scrubs secrets from it: the given ones,
    and anything standing where a credential stands (see `redact_credentials`)."""

    def __init__(self, logger: logging.Logger, secrets: Iterable[str]) -> None:
        super().__init__(logger, {})
        self._secrets = tuple(s for s in secrets if s)

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = " ".join([str(msg), *map(str, args)])
        kwargs.setdefault("stacklevel", 2)
        self.logger.log(level, "%s", redact_credentials(redact(text, self._secrets)), **kwargs)


class RedactingFilter(logging.Filter):
    """A logging filter that masks anything standing where a credential stands (`redact_credentials`)
    in a record's message and its string arguments, for loggers agentkit does not own (a web server's
    access log, which writes the request line with its `?ticket=`). Formatters still get their args."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            return True  # a broken record: logging reports it itself
        if redact_credentials(text) == text:
            return True
        # Redact the arguments one by one first: formatters such as uvicorn's access log read them.
        if isinstance(record.msg, str):
            record.msg = redact_credentials(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        text = record.getMessage()
        if redact_credentials(text) != text:  # a credential split across arguments ("%s: %s")
            record.msg, record.args = redact_credentials(text), ()
        return True


def _redacted(value: object) -> object:
    return redact_credentials(value) if isinstance(value, str) else value
