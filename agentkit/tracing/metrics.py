"""The metric instruments tracing records into, created once per observer from a `Meter`.

Names follow the GenAI semantic conventions where one exists (`gen_ai.execute_tool.duration`,
`gen_ai.invoke_agent.duration`, `gen_ai.client.token.usage`); the rest are `agentkit.*`. Without a
configured meter provider every instrument is the API's no-op one, so recording costs a call.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.metrics import Counter, Histogram, Meter, UpDownCounter

_SECONDS_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
_TURN_BUCKETS = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6)
_TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304)


@dataclass(frozen=True)
class Instruments:
    tool_duration: Histogram
    """Seconds from a call's start to its output, by tool name and outcome (`agentkit.tool.status`)."""
    turn_duration: Histogram
    """Seconds from the user's input to the end of the turn's last response."""
    time_to_first_audio: Histogram
    """Seconds from the user's input to the first audio of the turn."""
    token_usage: Histogram
    """Tokens per response, by `gen_ai.token.type` (`input` / `output`)."""
    reconnects: Counter
    """Reconnect outcomes, by `agentkit.reconnect.outcome` (`reconnected` / `failed`)."""
    errors: Counter
    """`error` frames from the server, by `error.type`."""

    @classmethod
    def create(cls, meter: Meter) -> Instruments:
        return cls(
            tool_duration=meter.create_histogram(
                "gen_ai.execute_tool.duration",
                unit="s",
                description="Duration of one tool call, from its start to its posted output.",
                explicit_bucket_boundaries_advisory=_SECONDS_BUCKETS,
            ),
            turn_duration=meter.create_histogram(
                "gen_ai.invoke_agent.duration",
                unit="s",
                description="Duration of one turn, from the user's input to its final response.",
                explicit_bucket_boundaries_advisory=_TURN_BUCKETS,
            ),
            time_to_first_audio=meter.create_histogram(
                "agentkit.turn.time_to_first_audio",
                unit="s",
                description="Time from the user's input to the first audio of the answer.",
                explicit_bucket_boundaries_advisory=_SECONDS_BUCKETS,
            ),
            token_usage=meter.create_histogram(
                "gen_ai.client.token.usage",
                unit="{token}",
                description="Input and output tokens per model response.",
                explicit_bucket_boundaries_advisory=_TOKEN_BUCKETS,
            ),
            reconnects=meter.create_counter(
                "agentkit.session.reconnects",
                unit="{reconnect}",
                description="Reconnects after a lost connection or an expired session.",
            ),
            errors=meter.create_counter(
                "agentkit.session.errors",
                unit="{error}",
                description="Error frames received from the server.",
            ),
        )


ACTIVE_SESSIONS = "agentkit.relay.active_sessions"


def active_sessions(meter: Meter) -> UpDownCounter:
    """Client sessions open on a relay process now, by `gen_ai.agent.name`: the sum over the
    processes is the service's load, the signal an autoscaler wants (CPU stays low while calls wait
    on the model)."""
    return meter.create_up_down_counter(
        ACTIVE_SESSIONS,
        unit="{session}",
        description="Client sessions open on this relay process now.",
    )
