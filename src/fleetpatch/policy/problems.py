"""Pydantic validation errors turned into `fleet.yaml` problems a person can act on (pure).

A problem names the field path as written in the file (`buckets[1].windows[0].cron`) and says what
is wrong in words: an unknown key gets a "did you mean" hint from the keys the model knows, a wrong
type says what was expected and what was found, a validator's message is passed through as is.
"""

from __future__ import annotations

import types
import typing
from datetime import date
from difflib import get_close_matches
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from fleetpatch.policy.values import show
from fleetpatch.policy.yamldoc import FieldPath, Located, Problem

_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
}


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    """` (did you mean 'x'?)` when a choice is close, else ` (known: a, b, c)`."""
    known = sorted(choices)
    close = get_close_matches(word, known, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known: {', '.join(known)})" if known else ""


def problems_from(
    exc: ValidationError, model: type[BaseModel], prefix: FieldPath, doc: Located
) -> list[Problem]:
    """One problem per error in `exc`, raised validating `model` at `prefix` of `doc`."""
    problems = []
    for error in exc.errors(include_url=False):
        path = (*prefix, *error["loc"])
        problems.append(Problem(path, doc.line(path), describe(error, model)))
    return problems


def describe(error: ErrorDetails, model: type[BaseModel]) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        return "unknown key" + did_you_mean(key, known_keys(model, error["loc"][:-1]))
    if kind == "missing":
        return "required key is missing"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "literal_error":
        return f"expected {ctx.get('expected', 'one of the listed values')}, got {show(value)}"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        return f"must be {'at least' if 'ge' in ctx else 'at most'} {bound}, got {show(value)}"
    if kind == "too_short" and isinstance(value, list):
        return f"needs at least {ctx.get('min_length', 1)} item(s)"
    if kind in _EXPECTED:
        hint = "; quote it" if kind == "string_type" and _is_plain_scalar(value) else ""
        return f"expected {_EXPECTED[kind]}, got {show(value)}{hint}"
    message = error["msg"]
    return f"{message[:1].lower()}{message[1:]}, got {show(value)}"


def _is_plain_scalar(value: Any) -> bool:
    return isinstance(value, int | float | bool | date) or value is None


def known_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model accepts at `loc` (list indices are skipped)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = _inner_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    """`list[X]`, `X | None` and `Annotated[X, ...]` all lead to X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated or origin is list:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation
