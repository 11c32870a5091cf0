"""What the relay says when it will not forward a client event: a `Refusal`, sent back as `error`."""

from __future__ import annotations

from dataclasses import dataclass

from agentkit.protocol import ErrorDetail, ErrorEvent, event_id

POLICY_VIOLATION = "relay_policy_violation"
"""The `error.code` of every refusal, so a front end can tell the relay's "no" from the model's."""


@dataclass(frozen=True)
class Refusal:
    """A client event the relay's policy refused; it is never forwarded upstream.

    `reason` names the rule that was broken, never the refused content (no echo of what was sent).
    """

    event_type: str
    reason: str
    event_id: str | None = None
    """The client's own `event_id`, echoed so the client can match the error to its request."""
    param: str | None = None
    """The offending field, e.g. `session.instructions`, when one field is to blame."""

    @property
    def message(self) -> str:
        return f"{self.event_type} refused by the relay policy: {self.reason}"

    def to_error_event(self) -> ErrorEvent:
        """The `error` event to send back to the client, shaped like the real service's errors."""
        return ErrorEvent(
            event_id=event_id(),
            error=ErrorDetail(
                type="invalid_request_error",
                code=POLICY_VIOLATION,
                message=self.message,
                param=self.param,
                event_id=self.event_id,
            ),
        )
