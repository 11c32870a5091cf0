"""Event Grid deliveries for ACS: the subscription validation handshake and `IncomingCall`.

Event Grid posts a JSON array of events (Event Grid schema). The first delivery to a new webhook is
`Microsoft.EventGrid.SubscriptionValidationEvent`, answered with its `validationCode`; an incoming
phone call is `Microsoft.Communication.IncomingCall` with the `incomingCallContext` to answer it by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VALIDATION = "Microsoft.EventGrid.SubscriptionValidationEvent"
INCOMING_CALL = "Microsoft.Communication.IncomingCall"


@dataclass(frozen=True)
class IncomingAcsCall:
    incoming_call_context: str = field(repr=False)
    correlation_id: str
    caller: str | None
    callee: str | None
    data: dict[str, Any] = field(repr=False)


def identity(value: Any) -> str | None:
    """A communication identifier's readable form: the phone number, else its raw id."""
    if not isinstance(value, dict):
        return None
    phone = value.get("phoneNumber")
    if isinstance(phone, dict) and isinstance(phone.get("value"), str):
        return str(phone["value"])
    raw = value.get("rawId")
    return raw if isinstance(raw, str) else None


def incoming_call(event: dict[str, Any]) -> IncomingAcsCall | None:
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("incomingCallContext"), str):
        return None
    return IncomingAcsCall(
        incoming_call_context=data["incomingCallContext"],
        correlation_id=str(data.get("correlationId") or event.get("id") or ""),
        caller=identity(data.get("from")),
        callee=identity(data.get("to")),
        data=data,
    )
