"""Error events shaped like the real service's (protocol.md §5): type, code, message, param, and the
`event_id` of the client event that caused them."""

from __future__ import annotations

from agentkit.protocol import ErrorDetail, ErrorEvent, event_id


class ClientError(Exception):
    """A client event the server refuses; the connection answers it with an `error` event and goes on."""

    def __init__(self, code: str | None, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param

    def event(self, client_event_id: str | None, error_type: str = "invalid_request_error") -> ErrorEvent:
        return error_event(self.code, self.message, self.param, client_event_id, error_type)


def error_event(
    code: str | None,
    message: str,
    param: str | None = None,
    client_event_id: str | None = None,
    error_type: str = "invalid_request_error",
) -> ErrorEvent:
    detail = ErrorDetail(type=error_type, code=code, message=message, param=param, event_id=client_event_id)
    return ErrorEvent(event_id=event_id(), error=detail)


def unknown_parameter(param: str) -> ClientError:
    return ClientError("unknown_parameter", f"Unknown parameter: '{param}'.", param)


def invalid_value(param: str, message: str) -> ClientError:
    return ClientError("invalid_value", message, param)


def missing_parameter(param: str) -> ClientError:
    return ClientError("missing_required_parameter", f"Missing required parameter: '{param}'.", param)
