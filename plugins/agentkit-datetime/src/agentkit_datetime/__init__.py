"""Date and time tools for agentkit: `toolset` is the plugin's entry point."""

from __future__ import annotations

from agentkit.tools import Toolset
from agentkit_datetime.tools import add_business_days, current_time, days_between, shift_date

toolset = Toolset([current_time, shift_date, days_between, add_business_days], name="datetime")

__all__ = ["add_business_days", "current_time", "days_between", "shift_date", "toolset"]
