"""Webhook signature helpers: Twilio's, Standard Webhooks', ACS's HMAC request signing."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from agentkit.channels.acs.automation import hmac_headers, parse_connection_string
from agentkit.channels.signatures import (
    WebhookRejected,
    WebhookVerifier,
    standard_signature,
    twilio_signature,
    verify_twilio,
    webhook_key,
)
from agentkit.channels.tickets import CallTickets


def test_twilio_signs_the_url_then_the_sorted_parameters() -> None:
    params = [("To", "+18005551212"), ("CallSid", "CA1"), ("From", "+12349013030")]
    expected = hmac.new(
        b"tok", b"https://x.example/v?a=1CallSidCA1From+12349013030To+18005551212", hashlib.sha1
    )
    assert (
        twilio_signature("tok", "https://x.example/v?a=1", params)
        == base64.b64encode(expected.digest()).decode()
    )
    signature = twilio_signature("tok", "https://x.example:443/v", params)
    verify_twilio("tok", "https://x.example/v", params, signature)  # the default port either way
    with pytest.raises(WebhookRejected):
        verify_twilio("tok", "https://x.example/v", [*params, ("Digits", "1")], signature)
    with pytest.raises(WebhookRejected):
        verify_twilio("tok", "https://x.example/v", params, None)


def test_standard_webhooks_key_signature_tolerance_and_replay() -> None:
    key = b"0123456789abcdef0123456789abcdef"
    secret = "whsec_" + base64.b64encode(key).decode()
    assert webhook_key(secret) == key
    for bad in ("sk-nope", "whsec_%%%", "whsec_"):
        with pytest.raises(ValueError):
            webhook_key(bad)
    now = [1_750_000_000.0]
    verifier = WebhookVerifier(secret, clock=lambda: now[0])
    body = b'{"type":"realtime.call.incoming"}'
    headers = {
        "webhook-id": "wh_1",
        "webhook-timestamp": str(int(now[0])),
        "webhook-signature": "v1,bogus " + standard_signature(key, "wh_1", str(int(now[0])), body),
    }
    assert verifier.verify(headers, body) == "wh_1"
    with pytest.raises(WebhookRejected) as replay:
        verifier.verify(headers, body)
    assert replay.value.status == 409
    now[0] += 301
    fresh = {**headers, "webhook-id": "wh_2"}
    with pytest.raises(WebhookRejected, match="tolerance"):
        verifier.verify(fresh, body)


def test_stream_tickets_are_single_use_per_call_and_expire() -> None:
    now = [0.0]
    tickets = CallTickets(ttl_s=10, clock=lambda: now[0])
    first = tickets.issue("CA1", "data")
    assert tickets.redeem(first, "CA2") is None  # wrong call: spent all the same
    assert tickets.redeem(first, "CA1") is None
    second = tickets.issue("CA1")
    now[0] = 11
    assert tickets.redeem(second) is None
    third = tickets.issue("CA1", "kept")
    redeemed = tickets.redeem(third, "CA1")
    assert redeemed is not None
    assert redeemed.data == "kept"


def test_acs_requests_are_signed_over_method_path_date_host_and_body() -> None:
    key = base64.b64encode(b"k" * 32).decode()
    endpoint, raw = parse_connection_string(f"endpoint=https://res.communication.azure.com/;accesskey={key}")
    assert endpoint == "https://res.communication.azure.com"
    url = endpoint + "/calling/callConnections:answer?api-version=2024-09-15"
    headers = hmac_headers(raw, "POST", url, b"{}", date="Sat, 05 Dec 2026 12:00:00 GMT")
    content = base64.b64encode(hashlib.sha256(b"{}").digest()).decode()
    signed = (
        "POST\n/calling/callConnections:answer?api-version=2024-09-15\n"
        f"Sat, 05 Dec 2026 12:00:00 GMT;res.communication.azure.com;{content}"
    )
    signature = base64.b64encode(hmac.new(raw, signed.encode(), hashlib.sha256).digest()).decode()
    assert headers["Authorization"].endswith(f"&Signature={signature}")
    assert headers["x-ms-content-sha256"] == content
    with pytest.raises(ValueError):
        parse_connection_string("endpoint=http://insecure;accesskey=abc")
