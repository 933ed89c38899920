"""Pinned baselines: a pin names its ecosystem, and its version is valid there (pure).

A pinned version (any `version` but `latest`) is judged against installed versions with the
ecosystem's version scheme, so fleetpatch must know which scheme that is when the policy is
loaded, not when drift is first evaluated: a pin without an `ecosystem`, with an ecosystem that
has no version scheme, or with a version its scheme cannot read is a policy problem. The
ecosystem may be exact (`Debian:12`) or a release prefix (`Debian:`); both name one scheme.
`latest` baselines need no ecosystem (empty means every evaluated ecosystem).
"""

from __future__ import annotations

from fleetpatch.errors import InputError, VersionError
from fleetpatch.policy.problems import did_you_mean
from fleetpatch.policy.schema import BaselineModel
from fleetpatch.versions import KNOWN_ECOSYSTEMS, scheme_for_ecosystem, validate

EXAMPLE_ECOSYSTEM = "Debian:12"


def pin_problems(baseline: BaselineModel, *, short_form: bool) -> list[tuple[str, str]]:
    """(field, message) for each problem of one baseline; none for `latest`.

    `short_form` is the `package: version` map form, which has no room for an ecosystem, so
    the message shows the mapping to write instead.
    """
    if baseline.version == "latest":
        return []
    if not baseline.ecosystem:
        if short_form:
            hint = (
                f"{baseline.package}: {{version: {baseline.version!r}, "
                f"ecosystem: {EXAMPLE_ECOSYSTEM!r}}}"
            )
        else:
            hint = EXAMPLE_ECOSYSTEM
        return [("ecosystem", f"required key is missing for a pinned version (e.g. {hint})")]
    try:
        scheme = scheme_for_ecosystem(baseline.ecosystem)
    except InputError as exc:
        family = baseline.ecosystem.partition(":")[0]
        return [("ecosystem", f"{exc}{did_you_mean(family, KNOWN_ECOSYSTEMS)}")]
    try:
        validate(scheme, baseline.version)
    except VersionError as exc:
        return [("version", f"not a version of {baseline.ecosystem}: {exc}")]
    return []
