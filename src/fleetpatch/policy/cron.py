"""Five-field cron expressions: parsed into the sets of values each field allows (pure).

Syntax (Vixie cron): `minute hour day-of-month month day-of-week`, each field a comma list of
`*`, `N`, `A-B`, with an optional `/STEP` (`*/15`, `1-31/2`, `5/10` = `5-max/10`). Months and
weekdays take English names (`jan`, `mon-fri`); day-of-week 7 is Sunday, like 0. A weekday may be
`DOW#N`: the N-th such weekday of the month (`sat#1`, `6#1` = first Saturday). Macros
`@hourly @daily @midnight @weekly @monthly @yearly @annually` expand to their five fields.

As in cron, when both day-of-month and day-of-week are restricted (neither is `*`), a day matches
when *either* does; `CronSpec.dom_and_dow_restricted` tells the schedule to apply that rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetpatch.errors import InputError


class CronError(InputError):
    """A cron expression that does not parse; the message says which field and why."""


MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    names_from: int = 0


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS, 1),
    _Field("day-of-week", 0, 7, _DAYS, 0),
)


@dataclass(frozen=True, slots=True)
class CronSpec:
    """The values each field allows. Weekdays are 0–6 with 0 = Sunday (7 is folded into 0).

    `nth_weekdays` holds `(weekday, n)` pairs from `DOW#N` items; they add to `days_of_week`'s
    meaning (that weekday, but only its n-th occurrence in the month).
    """

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    nth_weekdays: frozenset[tuple[int, int]] = frozenset()
    dom_and_dow_restricted: bool = False


def parse_cron(expression: str) -> CronSpec:
    """Parse a cron expression or raise `CronError` naming the field and the problem."""
    text = " ".join(expression.split())
    fields = MACROS.get(text.lower(), text).split(" ")
    if text.startswith("@") and text.lower() not in MACROS:
        raise CronError(f"unknown macro {text!r} (known: {', '.join(MACROS)})")
    if len(fields) != len(_FIELDS):
        raise CronError(
            "expected 5 fields (minute hour day-of-month month day-of-week), "
            f"got {len(fields) if text else 0}"
        )
    minutes, hours, days, months = (
        _parse_items(field, spec) for field, spec in zip(fields[:4], _FIELDS[:4], strict=True)
    )
    plain_dow, nth = _split_nth(fields[4])
    return CronSpec(
        expression=text,
        minutes=frozenset(minutes),
        hours=frozenset(hours),
        days_of_month=frozenset(days),
        months=frozenset(months),
        days_of_week=frozenset(d % 7 for d in _parse_items(plain_dow, _FIELDS[4]))
        if plain_dow
        else frozenset(),
        nth_weekdays=frozenset(nth),
        # Vixie cron: a field "restricts" unless it starts with '*' (so `*/2` does not).
        dom_and_dow_restricted=not fields[2].startswith("*") and not fields[4].startswith("*"),
    )


def _split_nth(text: str) -> tuple[str, set[tuple[int, int]]]:
    """Separate `DOW#N` items from the plain day-of-week list."""
    plain: list[str] = []
    nth: set[tuple[int, int]] = set()
    for item in text.split(","):
        if "#" not in item:
            plain.append(item)
            continue
        day, _, n = item.partition("#")
        weekday = _value(day, _FIELDS[4]) % 7
        if not n.isdigit() or not 1 <= int(n) <= 5:
            raise CronError(f"day-of-week {item!r}: occurrence after '#' must be 1-5")
        nth.add((weekday, int(n)))
    return ",".join(plain), nth


def _parse_items(text: str, spec: _Field) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise CronError(f"{spec.name} has an empty list item in {text!r}")
        values |= _parse_item(item, spec)
    return values


def _parse_item(item: str, spec: _Field) -> set[int]:
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) < 1:
            raise CronError(f"{spec.name} step {step_text!r} must be a whole number >= 1")
        step = int(step_text)
    if base == "*":
        low, high = spec.low, spec.high
    elif "-" in base:
        first, _, last = base.partition("-")
        low, high = _value(first, spec), _value(last, spec)
        if low > high:
            raise CronError(f"{spec.name} range {base!r} runs backwards")
    else:
        low = _value(base, spec)
        high = spec.high if slash else low
    return set(range(low, high + 1, step))


def _value(text: str, spec: _Field) -> int:
    lowered = text.lower()
    if lowered in spec.names:
        return spec.names.index(lowered) + spec.names_from
    if not text.isdigit():
        raise CronError(f"{spec.name} {text!r} is not a number" + _names_hint(spec))
    value = int(text)
    if not spec.low <= value <= spec.high:
        raise CronError(f"{spec.name} {value} out of range")
    return value


def _names_hint(spec: _Field) -> str:
    return f" or a name ({spec.names[0]}..{spec.names[-1]})" if spec.names else ""
