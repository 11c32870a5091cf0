"""Webhook signatures: Twilio's `X-Twilio-Signature` and Standard Webhooks (OpenAI's SIP webhooks).

Both are checked in constant time, and neither a secret nor a signature ever reaches a log line or
an exception message: failures say only which check failed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

DEFAULT_TOLERANCE_S = 300
"""How far a webhook's timestamp may be from now (either way), as the Standard Webhooks spec advises."""


class WebhookRejected(Exception):
    """A webhook failed verification; `reason` is safe to log and to send back."""

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


# -- Twilio ----------------------------------------------------------------------------------------


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]] = ()) -> str:
    """Twilio's signature of a request: base64 HMAC-SHA1, keyed by the auth token, over the full URL
    followed by each POST parameter's name and value, sorted by name."""
    data = url + "".join(name + value for name, value in sorted(params, key=lambda pair: pair[0]))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_twilio(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], signature: str | None
) -> None:
    """Raise `WebhookRejected` unless `signature` is Twilio's for this URL and these parameters.

    Twilio signs the URL as it was configured; proxies may add or drop the default port, so both
    spellings are accepted."""
    if not auth_token:
        raise WebhookRejected("no Twilio auth token is configured", status=500)
    if not signature:
        raise WebhookRejected("missing X-Twilio-Signature")
    pairs = list(params)
    given = signature.encode()
    for candidate in _url_spellings(url):
        if hmac.compare_digest(twilio_signature(auth_token, candidate, pairs).encode(), given):
            return
    raise WebhookRejected("the X-Twilio-Signature does not match")


def _url_spellings(url: str) -> list[str]:
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if parts.port is None and default is not None:
        other = urlunsplit(parts._replace(netloc=f"{host}:{default}"))
    elif parts.port == default:
        other = urlunsplit(parts._replace(netloc=host))
    else:
        return [url]
    return [url, other]


# -- Standard Webhooks (OpenAI) --------------------------------------------------------------------


def webhook_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_...` secret (its base64 part); ValueError for anything else."""
    value = secret.strip()
    if not value.startswith("whsec_"):
        raise ValueError("a webhook secret starts with whsec_ (copy it from the webhook's settings)")
    try:
        key = base64.b64decode(value[len("whsec_") :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the webhook secret's part after whsec_ is not base64") from None
    if not key:
        raise ValueError("the webhook secret is empty")
    return key


def standard_signature(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, the Standard Webhooks signature."""
    signed = webhook_id.encode() + b"." + timestamp.encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class WebhookVerifier:
    """Verifies Standard Webhooks deliveries: signature, timestamp within `tolerance_s`, and each
    `webhook-id` accepted once (ids are remembered for twice the tolerance, bounded in number)."""

    def __init__(
        self,
        secret: str,
        *,
        tolerance_s: float = DEFAULT_TOLERANCE_S,
        max_remembered: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = webhook_key(secret)
        self.tolerance_s = tolerance_s
        self._max = max_remembered
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __repr__(self) -> str:
        return f"WebhookVerifier(tolerance_s={self.tolerance_s:g}, remembered={len(self._seen)})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> str:
        """The delivery's `webhook-id` once it checks out; `WebhookRejected` otherwise. A verified id
        is spent: the same delivery again is refused (409)."""
        webhook_id = headers.get("webhook-id", "")
        timestamp = headers.get("webhook-timestamp", "")
        signatures = headers.get("webhook-signature", "")
        if not webhook_id or not timestamp or not signatures:
            raise WebhookRejected("missing webhook-id, webhook-timestamp or webhook-signature")
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise WebhookRejected("webhook-timestamp is not a number") from None
        now = self._clock()
        if abs(now - sent_at) > self.tolerance_s:
            raise WebhookRejected("webhook-timestamp is outside the allowed tolerance")
        expected = standard_signature(self._key, webhook_id, timestamp, body).encode()
        if not any(hmac.compare_digest(expected, given.encode()) for given in signatures.split()):
            raise WebhookRejected("no webhook-signature matches")
        self._forget(now)
        if webhook_id in self._seen:
            raise WebhookRejected("this webhook-id was already delivered", status=409)
        self._seen[webhook_id] = now + 2 * self.tolerance_s
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return webhook_id

    def _forget(self, now: float) -> None:
        while self._seen:
            webhook_id, until = next(iter(self._seen.items()))
            if until > now:
                break
            del self._seen[webhook_id]
