"""The house error message: name the argument, what was expected, and what came."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

__all__ = [
    "check_choice",
    "check_non_negative",
    "check_positive_int",
    "check_rate",
    "did_you_mean",
    "invalid",
]


def invalid(
    argument: str, expected: str, received: Any, owner: str | None = None, hint: str = ""
) -> ValueError:
    """Builds the house `ValueError`: "`units` must be a positive integer. Received: units=-3".

    `owner` (e.g. a layer name) prefixes the message; `hint` (e.g. from `did_you_mean`) ends it.
    """
    where = f"{owner}: " if owner else ""
    return ValueError(f"{where}`{argument}` {expected}. Received: {argument}={received!r}.{hint}")


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Returns " Did you mean 'adam'?" for a close match among `choices`, else ""."""
    close = difflib.get_close_matches(str(name).lower(), [str(c) for c in choices], n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"


def check_positive_int(value: Any, argument: str, owner: str | None = None) -> int:
    """Returns `value` if it is an integer > 0, else raises the house error."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise invalid(argument, "must be a positive integer", value, owner)
    return value


def check_non_negative(value: Any, argument: str, owner: str | None = None) -> float:
    """Returns `value` as a float if it is a number >= 0, else raises the house error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise invalid(argument, "must be a non-negative number", value, owner)
    return float(value)


def check_rate(value: Any, argument: str, owner: str | None = None) -> float:
    """Returns `value` as a float if it lies in [0, 1), else raises the house error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise invalid(argument, "must be a number in [0, 1)", value, owner)
    return float(value)


def check_choice(value: Any, choices: Iterable[str], argument: str, owner: str | None = None) -> str:
    """Returns `value` (lower-cased) if it is one of `choices`, else raises with suggestions."""
    choices = tuple(choices)
    normalized = value.lower() if isinstance(value, str) else value
    if normalized not in choices:
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        raise invalid(argument, f"must be one of {choices}", value, owner, hint)
    return normalized
