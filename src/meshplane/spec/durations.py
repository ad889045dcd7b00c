"""Durations and percentages as people write them in SLAs: ``24h``, ``1 hours``, ``30 minutes``, ``PT1H``,
``2WD`` (working days), ``99.9%``. Parsed so governance can compare them (a tightened SLA is a breaking
change)."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS: dict[str, float] = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "wd": 86400,
    "workday": 86400,
    "workdays": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
    "mo": 2592000,
    "month": 2592000,
    "months": 2592000,
    "y": 31536000,
    "yr": 31536000,
    "year": 31536000,
    "years": 31536000,
}
_SIMPLE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")
_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str | int | float) -> timedelta:
    """>>> parse_duration("1 hours")
    datetime.timedelta(seconds=3600)
    >>> parse_duration("PT30M")
    datetime.timedelta(seconds=1800)
    """
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise ValueError(f"expected a duration such as `24h`, got {type(text).__name__}")
    try:
        if isinstance(text, int | float):
            return timedelta(seconds=float(text))
        match = _SIMPLE.match(text)
        if match and match[2].lower() in _UNITS:
            return timedelta(seconds=float(match[1]) * _UNITS[match[2].lower()])
        iso = _ISO.match(text.strip().upper())
        if iso and any(iso.groups()):
            days, hours, minutes, seconds = (float(g or 0) for g in iso.groups())
            return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except (OverflowError, ValueError):
        raise ValueError(f"`{text}` is not a duration a calendar can hold") from None
    raise ValueError(f"`{text}` is not a duration; write e.g. `24h`, `30 minutes`, `7 days` or `PT1H`")


def parse_percent(text: str | int | float) -> float:
    """>>> parse_percent("99.9%")
    99.9
    """
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise ValueError(f"expected a percentage such as `99.9%`, got {type(text).__name__}")
    if isinstance(text, int | float):
        value = float(text)
    else:
        try:
            value = float(text.strip().rstrip("%").strip())
        except ValueError:
            raise ValueError(f"`{text}` is not a percentage; write e.g. `99.9%`") from None
    if not 0 <= value <= 100:
        raise ValueError(f"`{text}` is not between 0% and 100%")
    return value
