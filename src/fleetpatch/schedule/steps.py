"""The steps a strategy runs on one host, and how long each is expected to take (pure).

A host's steps follow its bucket's strategy (`STRATEGY_STEPS`): pre gates first, the strategy's
own steps, post gates last; `reboot` only when the host's changes need one. The expected length
of a step comes from, in order: measured history (the median of past runs of that step in the
bucket), the bucket's `step_durations`, then the defaults below. Each step says which it was, so a
plan shows how much of it is a guess.

A reboot is expected when a package that only takes effect after a restart of the machine
changes (kernel, C library, systemd, dbus, microcode, firmware), or when the host already waits
for one.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from fleetpatch.policy.records import STRATEGY_STEPS, Bucket

Source = Literal["measured", "policy", "default"]

DEFAULT_STEP_SECONDS: Mapping[str, int] = {
    "cordon": 10,
    "drain": 300,
    "upgrade": 600,
    "reboot": 300,
    "uncordon": 10,
    "launch": 300,
    "health-check": 120,
    "retire": 60,
    "manual": 3600,
}
DEFAULT_GATE_SECONDS = 60

# Packages whose new version is only in use after the machine restarts.
REBOOT_PACKAGES = re.compile(
    r"^(linux-image-.*|linux-(signed-)?image|linux-modules-.*|kernel(-core|-modules.*)?"
    r"|libc6|glibc|glibc-common|musl|systemd|systemd-.*|libsystemd0|dbus|dbus-.*"
    r"|intel-microcode|amd64-microcode|microcode_ctl|linux-firmware.*)$"
)

# Measured step durations: (step name) -> seconds of past runs, newest last.
StepHistory = Mapping[str, Sequence[float]]


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    seconds: float
    source: Source


def reboot_reasons(packages: Sequence[str], *, pending: bool) -> tuple[str, ...]:
    """Why a reboot is expected: the packages that need one, and a reboot already pending."""
    reasons = [name for name in packages if REBOOT_PACKAGES.match(name)]
    if pending:
        reasons.insert(0, "pending reboot")
    return tuple(reasons)


def host_steps(bucket: Bucket, *, reboot: bool, history: StepHistory) -> tuple[Step, ...]:
    """The steps one host goes through, in order, each with its expected duration."""
    names = [g.name for g in bucket.gates if g.phase == "pre"]
    names += [s for s in STRATEGY_STEPS[bucket.strategy] if reboot or s != "reboot"]
    names += [g.name for g in bucket.gates if g.phase == "post"]
    return tuple(expected_step(bucket, name, history) for name in names)


def expected_step(bucket: Bucket, name: str, history: StepHistory) -> Step:
    measured = history.get(name, ())
    if measured:
        return Step(name, float(statistics.median(measured)), "measured")
    if name in bucket.step_seconds:
        return Step(name, float(bucket.step_seconds[name]), "policy")
    gate = next((g for g in bucket.gates if g.name == name), None)
    if gate is not None:
        return Step(name, float(min(DEFAULT_GATE_SECONDS, gate.timeout_seconds)), "default")
    return Step(name, float(DEFAULT_STEP_SECONDS.get(name, 300)), "default")
