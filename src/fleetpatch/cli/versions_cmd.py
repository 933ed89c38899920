"""`fleetpatch versions compare`: order two versions, or many pairs, like the distro tool.

    fleetpatch versions compare --scheme dpkg 1.0~rc1-1 1.0-1      # prints <
    fleetpatch versions compare --scheme rpm --pairs pairs.tsv     # one <, = or > per line

A bad version is bad input: exit code 2 and one line `error: FILE:LINE: invalid ... version`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import IO

import click

from fleetpatch import versions as core
from fleetpatch.errors import InputError, VersionError

_SYMBOL = {-1: "<", 0: "=", 1: ">"}


@click.group(name="versions")
def versions() -> None:
    """Version ordering for dpkg, RPM and apk."""


@versions.command(name="compare")
@click.option(
    "--scheme", type=click.Choice(core.SCHEMES), required=True, help="Version scheme to use."
)
@click.option(
    "--pairs",
    "pairs_file",
    type=click.File("r", encoding="utf-8", lazy=False),
    help="Read A<TAB>B lines from FILE ('-' for stdin); print one symbol per line.",
)
@click.argument("a", required=False)
@click.argument("b", required=False)
def compare(scheme: str, pairs_file: IO[str] | None, a: str | None, b: str | None) -> None:
    """Print <, = or > as version A is older than, equal to or newer than B."""
    if pairs_file is not None:
        if a is not None or b is not None:
            raise InputError("give either A B or --pairs FILE, not both")
        name = "<stdin>" if pairs_file.name in ("-", "<stdin>") else pairs_file.name
        out = sys.stdout
        out.writelines(compare_lines(scheme, name, pairs_file))
        out.flush()
        return
    if a is None or b is None:
        raise InputError("versions compare needs two versions A B (or --pairs FILE)")
    click.echo(_SYMBOL[core.compare(scheme, a, b)])


def compare_lines(scheme: str, name: str, lines: Iterable[str]) -> Iterator[str]:
    """Yield `<`/`=`/`>` lines for `A<TAB>B` lines; InputError names FILE:LINE on bad input."""
    cmp = core.scheme(scheme).compare
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        left, tab, right = line.partition("\t")
        if not tab or "\t" in right:
            raise InputError(f"{name}:{number}: expected two versions separated by one TAB")
        try:
            yield _SYMBOL[cmp(left, right)] + "\n"
        except VersionError as exc:
            raise VersionError(f"{name}:{number}: {exc}") from None
