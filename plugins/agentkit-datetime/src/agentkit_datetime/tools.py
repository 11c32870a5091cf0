"""The tools. Dates travel as ISO strings (YYYY-MM-DD) both ways: models read and write them well."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agentkit.tools import ToolError, tool

_WEEKEND = frozenset({5, 6})


@tool
def current_time(timezone: str = "UTC") -> dict[str, str]:
    """Get the current date and time in a time zone.

    Args:
        timezone: IANA time zone name, such as Europe/Paris or America/New_York.
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ToolError(f"unknown time zone {timezone!r}; use an IANA name such as Europe/Paris") from None
    now = dt.datetime.now(zone)
    return {
        "timezone": timezone,
        "iso": now.isoformat(timespec="seconds"),
        "date": now.date().isoformat(),
        "time": now.strftime("%H:%M"),
        "weekday": now.strftime("%A"),
        "utc_offset": now.strftime("%z")[:3] + ":" + now.strftime("%z")[3:],
    }


@tool
def shift_date(
    date: dt.date, days: int = 0, weeks: int = 0, months: int = 0, years: int = 0
) -> dict[str, str]:
    """Move a date forwards (positive numbers) or backwards (negative numbers).

    Months and years move first; a day past the new month's end becomes its last day.

    Args:
        date: Start date, YYYY-MM-DD.
        days: Days to add.
        weeks: Weeks to add.
        months: Months to add.
        years: Years to add.
    """
    month_index = date.year * 12 + date.month - 1 + months + years * 12
    year, month = divmod(month_index, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise ToolError(f"the result is outside the years {dt.MINYEAR}-{dt.MAXYEAR}")
    day = min(date.day, calendar.monthrange(year, month + 1)[1])
    try:
        moved = dt.date(year, month + 1, day) + dt.timedelta(days=days, weeks=weeks)
    except OverflowError:
        raise ToolError(f"the result is outside the years {dt.MINYEAR}-{dt.MAXYEAR}") from None
    return {"date": moved.isoformat(), "weekday": moved.strftime("%A")}


@tool
def days_between(start: dt.date, end: dt.date, holidays: list[dt.date] | None = None) -> dict[str, int]:
    """Count calendar days and business days from start to end (negative if end is earlier).

    Business days are Monday to Friday, minus holidays, counted after start up to and including end.

    Args:
        start: First date, YYYY-MM-DD.
        end: Second date, YYYY-MM-DD.
        holidays: Dates that are not business days.
    """
    skip = set(holidays or ())
    low, high = sorted((start, end))
    working = sum(
        1
        for offset in range(1, (high - low).days + 1)
        if _is_business_day(low + dt.timedelta(days=offset), skip)
    )
    sign = -1 if end < start else 1
    return {"days": (end - start).days, "business_days": sign * working}


@tool
def add_business_days(date: dt.date, days: int, holidays: list[dt.date] | None = None) -> dict[str, str]:
    """Find the date a number of business days (Monday to Friday, minus holidays) after or before a date.

    Args:
        date: Start date, YYYY-MM-DD.
        days: Business days to add; negative goes back.
        holidays: Dates that are not business days.
    """
    if abs(days) > 100_000:
        raise ToolError("days must be between -100000 and 100000")
    skip = set(holidays or ())
    step = dt.timedelta(days=1 if days >= 0 else -1)
    current, remaining = date, abs(days)
    try:
        while remaining:
            current += step
            if _is_business_day(current, skip):
                remaining -= 1
    except OverflowError:
        raise ToolError(f"the result is outside the years {dt.MINYEAR}-{dt.MAXYEAR}") from None
    return {"date": current.isoformat(), "weekday": current.strftime("%A")}


def _is_business_day(day: dt.date, holidays: set[dt.date]) -> bool:
    return day.weekday() not in _WEEKEND and day not in holidays
