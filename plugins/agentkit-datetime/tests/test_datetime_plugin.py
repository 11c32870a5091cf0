"""The datetime plugin: its tools through agentkit's call path, and its entry point."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import pytest
from agentkit_datetime import toolset

from agentkit.tools import ToolOutcome, Toolset, execute_tool, load_plugin


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def call(name: str, arguments: dict[str, Any]) -> ToolOutcome:
    with anyio.fail_after(10):
        return await execute_tool(
            toolset.get(name),
            name=name,
            call_id="c1",
            arguments=json.dumps(arguments),
            available=toolset.names(),
        )


def test_entry_point_loads_the_toolset() -> None:
    loaded = load_plugin("datetime")
    assert isinstance(loaded, Toolset)
    assert loaded.names() == ["current_time", "shift_date", "days_between", "add_business_days"]


def test_definitions_describe_dates_as_iso_strings() -> None:
    shift = toolset["shift_date"].definition()
    assert shift["description"] == "Move a date forwards (positive numbers) or backwards (negative numbers)."
    assert shift["parameters"]["properties"]["date"] == {
        "type": "string",
        "format": "date",
        "description": "Start date, YYYY-MM-DD.",
    }
    assert shift["parameters"]["required"] == ["date"]


@pytest.mark.anyio
async def test_current_time_in_a_zone() -> None:
    zone = ZoneInfo("Asia/Kolkata")
    before = dt.datetime.now(zone).replace(microsecond=0)
    outcome = await call("current_time", {"timezone": "Asia/Kolkata"})
    after = dt.datetime.now(zone)
    result = json.loads(outcome.output)
    stamp = dt.datetime.fromisoformat(result["iso"])
    assert before <= stamp <= after
    assert result["utc_offset"] == "+05:30"
    assert result["weekday"] == stamp.strftime("%A")
    assert result["date"] == stamp.date().isoformat()


@pytest.mark.anyio
async def test_unknown_zone_is_a_tool_error() -> None:
    outcome = await call("current_time", {"timezone": "Mars/Olympus"})
    assert outcome.status == "tool_error"
    assert outcome.output == "unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Paris"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"date": "2024-01-31", "months": 1}, "2024-02-29"),
        ({"date": "2023-01-31", "months": 1}, "2023-02-28"),
        ({"date": "2024-03-10", "days": -10}, "2024-02-29"),
        ({"date": "2024-02-29", "years": 1}, "2025-02-28"),
        ({"date": "2024-12-15", "months": 1, "weeks": 1}, "2025-01-22"),
        ({"date": "2024-01-15", "months": -13}, "2022-12-15"),
    ],
)
async def test_shift_date(arguments: dict[str, Any], expected: str) -> None:
    assert json.loads((await call("shift_date", arguments)).output)["date"] == expected


@pytest.mark.anyio
async def test_shift_date_out_of_range_and_bad_input() -> None:
    too_far = await call("shift_date", {"date": "9999-12-01", "months": 1})
    assert too_far.status == "tool_error"
    bad = await call("shift_date", {"date": "31/01/2024"})
    assert bad.status == "invalid_arguments"
    assert bad.output.startswith("invalid arguments for tool shift_date: date: Input should be a valid date")


@pytest.mark.anyio
async def test_days_between_counts_business_days() -> None:
    # Friday 2024-05-03 to Friday 2024-05-17: 14 days, 10 weekdays, one holiday (Monday 13th).
    args = {"start": "2024-05-03", "end": "2024-05-17", "holidays": ["2024-05-13"]}
    assert json.loads((await call("days_between", args)).output) == {"days": 14, "business_days": 9}
    back = {"start": "2024-05-17", "end": "2024-05-03"}
    assert json.loads((await call("days_between", back)).output) == {"days": -14, "business_days": -10}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"date": "2024-05-03", "days": 1}, "2024-05-06"),  # Friday -> Monday
        ({"date": "2024-05-03", "days": 1, "holidays": ["2024-05-06"]}, "2024-05-07"),
        ({"date": "2024-05-06", "days": -1}, "2024-05-03"),
        ({"date": "2024-05-04", "days": 0}, "2024-05-04"),
        ({"date": "2024-05-01", "days": 10}, "2024-05-15"),
    ],
)
async def test_add_business_days(arguments: dict[str, Any], expected: str) -> None:
    assert json.loads((await call("add_business_days", arguments)).output)["date"] == expected
