"""Small value syntaxes of `fleet.yaml`: durations, concurrency, time zones, names, URLs (pure).

Each parser takes what YAML produced and returns the typed value, or raises `ValueError` with a
message that says what was wrong and what is accepted; the loader puts the file and line in front.

Durations are a whole number with a unit, `30s 5m 2h 1d 1w`, or several of them (`1h30m`). Only a
window's `duration` may be a bare integer, meaning minutes (`duration: 90`); elsewhere a bare
number is refused, since `stale_after: 2` could mean minutes or days.
"""

from __future__ import annotations

import re
import zoneinfo
from difflib import get_close_matches
from typing import Any
from urllib.parse import urlsplit

from fleetpatch.policy.cron import CronError, parse_cron
from fleetpatch.policy.records import Concurrency, ErrorBudget
from fleetpatch.policy.regex import check_pattern

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(?:\d+[smhdw])+")
_DURATION_PART = re.compile(r"(\d+)([smhdw])")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def show(value: Any) -> str:
    """A value as the user wrote it in YAML: strings quoted, `null`, `true`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)


def parse_duration(value: Any, *, bare_minutes: bool = False) -> int:
    """Seconds in a duration: `30s`, `5m`, `2h`, `1d`, `1h30m` (or an int of minutes if allowed)."""
    if isinstance(value, int) and not isinstance(value, bool) and not bare_minutes:
        raise ValueError(f"invalid duration {value}: give a unit, e.g. '{value}m' or '{value}d'")
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value * 60
    elif isinstance(value, str) and _DURATION.fullmatch(value.strip()):
        seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION_PART.findall(value))
    else:
        raise ValueError(
            f"invalid duration {show(value)}: use a number with a unit "
            "(30s, 5m, 2h, 1d, 1w, 1h30m)"
            + (" or a whole number of minutes" if bare_minutes else "")
        )
    if seconds <= 0:
        raise ValueError(f"invalid duration {show(value)}: must be longer than zero")
    return seconds


def parse_window_minutes(value: Any) -> int:
    """A window's length in whole minutes, at most 31 days."""
    seconds = parse_duration(value, bare_minutes=True)
    if seconds % 60:
        raise ValueError(f"invalid duration {show(value)}: a window lasts whole minutes")
    if seconds > 31 * 86400:
        raise ValueError(f"invalid duration {show(value)}: a window lasts at most 31 days")
    return seconds // 60


def parse_concurrency(value: Any) -> Concurrency:
    """`3` hosts at once, or `"10%"` of the bucket (more than 0 %, at most 100 %)."""
    if isinstance(value, Concurrency):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ValueError(f"max_concurrency {value} must be at least 1")
        return Concurrency(count=value)
    match = _PERCENT.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            f"invalid max_concurrency {show(value)}: "
            "expected a count (a whole number >= 1) or a percentage like '10%'"
        )
    percent = float(match.group(1))
    if not 0 < percent <= 100:
        raise ValueError(
            f"percentage {show(value)} out of range: must be above 0% and at most 100%"
        )
    return Concurrency(percent=percent)


def parse_error_budget(value: Any) -> ErrorBudget:
    """`0` (stop at the first failure), `3` hosts, or `"10%"` of the run's hosts."""
    if isinstance(value, ErrorBudget):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"max_errors {value} must be 0 or more")
        return ErrorBudget(count=value)
    match = _PERCENT.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            f"invalid max_errors {show(value)}: "
            "expected a count (a whole number >= 0) or a percentage like '10%'"
        )
    percent = float(match.group(1))
    if not 0 <= percent <= 100:
        raise ValueError(f"percentage {show(value)} out of range: must be 0% to 100%")
    return ErrorBudget(percent=percent)


def check_cron(value: str) -> str:
    try:
        return parse_cron(value).expression
    except CronError as exc:
        raise ValueError(f"invalid cron expression {value!r}: {exc}") from None


def check_timezone(value: str) -> str:
    """An IANA zone name that this machine's time zone database knows."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        close = get_close_matches(value, sorted(zoneinfo.available_timezones()), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else " (an IANA name like 'Europe/Paris')"
        raise ValueError(f"unknown time zone {value!r}{hint}") from None
    return value


def check_regex(value: str) -> str:
    """A pattern RE2 can run (see `fleetpatch.policy.regex`)."""
    check_pattern(value)
    return value


def check_name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"invalid name {value!r}: use letters, digits, '.', '_' or '-' "
            "(starting with a letter or digit, at most 63 characters)"
        )
    return value


def check_pager_key(value: str) -> str:
    if value and not _ENV_NAME.fullmatch(value):
        raise ValueError(
            f"pager_key {value!r} must name the environment variable that holds the key "
            "(like PAGER_DBA_KEY), never the key itself"
        )
    return value


def check_email(value: str) -> str:
    if value and not _EMAIL.fullmatch(value):
        raise ValueError(f"invalid e-mail address {value!r}")
    return value


def check_url(value: str) -> str:
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise ValueError(f"runbook {value!r} must be an http(s) URL")
    return value


def format_duration(seconds: int) -> str:
    """The inverse of `parse_duration` for display: 5400 -> `1h30m`, 172800 -> `2d`."""
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def format_concurrency(concurrency: Concurrency) -> str | int:
    """As written in `fleet.yaml`: a count, or a percentage string."""
    if concurrency.percent is not None:
        return f"{concurrency.percent:g}%"
    return concurrency.count if concurrency.count is not None else 1
