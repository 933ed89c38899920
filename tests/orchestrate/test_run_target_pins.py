"""A run's frozen target reads pinned baselines the way drift does: exact ecosystem over a
release prefix (`Debian:`) over none, whatever their order in the policy."""

from __future__ import annotations

from dataclasses import dataclass

from fleetpatch.orchestrate.service import _target_levels
from fleetpatch.policy.records import Baseline


@dataclass
class _Package:
    name: str
    installed: str
    candidate: str


@dataclass
class _Host:
    hostname: str
    packages: tuple[_Package, ...]


@dataclass
class _Wave:
    hosts: tuple[_Host, ...]


@dataclass
class _Plan:
    waves: tuple[_Wave, ...]


def _plan() -> _Plan:
    openssl = _Package("openssl", "3.0.11-1~deb12u1", "3.0.15-1~deb12u1")
    return _Plan((_Wave((_Host("db-01", (openssl,)), _Host("db-02", (openssl,)))),))


def test_a_prefix_pin_applies_to_every_release_of_its_family() -> None:
    pins = [Baseline("openssl", "3.0.13-1~deb12u1", ecosystem="Debian:")]
    levels = _target_levels(
        _plan(), {"db-01", "db-02"}, {"db-01": "Debian:12", "db-02": "Debian:12"}, pins
    )
    assert levels == {"Debian:12": {"openssl": "3.0.13-1~deb12u1"}}


def test_the_exact_pin_wins_over_a_prefix_whatever_the_order() -> None:
    exact = Baseline("openssl", "3.0.14-1~deb12u1", ecosystem="Debian:12")
    prefix = Baseline("openssl", "3.0.13-1~deb12u1", ecosystem="Debian:")
    for pins in ([exact, prefix], [prefix, exact]):
        levels = _target_levels(_plan(), {"db-01"}, {"db-01": "Debian:12"}, pins)
        assert levels["Debian:12"]["openssl"] == "3.0.14-1~deb12u1"


def test_a_pin_for_another_family_is_left_alone() -> None:
    pins = [Baseline("openssl", "3.0.7-25.el9_3", ecosystem="AlmaLinux:")]
    levels = _target_levels(_plan(), {"db-01"}, {"db-01": "Debian:12"}, pins)
    assert levels["Debian:12"]["openssl"] == "3.0.15-1~deb12u1"  # the newest candidate
