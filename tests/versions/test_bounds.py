"""Version parsing is bounded: a hostile version is a VersionError, never a ValueError from
Python's int conversion nor seconds of work."""

from __future__ import annotations

import pytest

from fleetpatch.errors import VersionError
from fleetpatch.versions import SCHEMES, compare, validate
from fleetpatch.versions.base import MAX_DIGITS, MAX_LENGTH


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_numeric_part_may_have_64_digits_and_no_more(scheme: str) -> None:
    fine, long = "1." + "3" * MAX_DIGITS, "1." + "3" * (MAX_DIGITS + 1)
    validate(scheme, fine)
    assert compare(scheme, fine, "1.2") == 1
    with pytest.raises(VersionError, match="a numeric part longer than 64 digits"):
        validate(scheme, long)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_comparing_a_huge_number_is_a_version_error(scheme: str) -> None:
    huge = "1." + "9" * 10_000  # past Python's 4,300-digit int() limit
    with pytest.raises(VersionError) as caught:
        compare(scheme, huge, "1.0")
    assert len(str(caught.value)) < 200  # the message never repeats the whole input


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_version_longer_than_the_limit_is_refused(scheme: str) -> None:
    with pytest.raises(VersionError, match=f"longer than {MAX_LENGTH} characters"):
        validate(scheme, "1." + "a.1" * MAX_LENGTH)
