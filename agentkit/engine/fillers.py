"""No dead air: short out-of-band lines while a tool runs, and what happens to results that come late.

A filler is a `response.create` with `conversation: "none"`: the model says one short line (from the
tool's filler instructions, or a progress note the tool asked to have spoken) that is not written to
the conversation, answers no call, and never counts as its batch's follow-up. It goes out only when
the line is quiet (no response active or being created, no answer due), so it never collides with a
follow-up; a line that could not go out before the answer was due is dropped, since the answer says
more. A batch gets at most one timed filler; a tool may ask for more with spoken progress notes.

A result that arrives after the user moved on (a new user turn overtook its batch) follows the tool's
`late` policy: `silent` posts it without a follow-up (the model may use it later), `speak` asks for a
follow-up once the line is quiet so the model says it, `drop` answers the call with a short note
instead of the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agentkit.protocol import ResponseParams

FILLER_TAG = "agentkit_filler"
"""`response.metadata` key of an out-of-band filler (value: the call it covers for)."""

LatePolicy = Literal["speak", "silent", "drop"]
LATE_POLICIES: tuple[str, ...] = ("speak", "silent", "drop")


@dataclass(frozen=True, slots=True)
class FillerLine:
    """A line owed to the user while `call_id` runs: `instructions` tell the model what to say."""

    call_id: str
    instructions: str


def filler_params(line: FillerLine) -> ResponseParams:
    """An out-of-band response that says one line and may not call tools."""
    return ResponseParams(
        conversation="none",
        instructions=line.instructions,
        tool_choice="none",
        metadata={FILLER_TAG: line.call_id},
    )


def spoken_progress(message: str) -> str:
    """Instructions for saying a tool's progress note."""
    return f"In one short sentence, tell the user: {message}. Do not add anything else."


def dropped_output(name: str) -> str:
    """The output of a call whose late result was dropped (its tool's `late="drop"`)."""
    return (
        f"The {name} result came after the user moved on to something else and was dropped. "
        "Do not mention it unless the user asks again."
    )
