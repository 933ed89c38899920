"""The example `fleetpatch init` writes validates, and each bucket claims its sample host."""

from __future__ import annotations

import pytest

from fleetpatch.policy.classify import HostFacts, classify
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import Concurrency

POLICY = parse_policy(EXAMPLE_POLICY)

SAMPLES = [
    ("k8s-nodes", "platform", "k8s-node-017", "k8s-node"),
    ("databases", "dba", "db-03", "db"),
    ("stateless", "infra", "jump-02", "stateless"),
    ("bare-metal", "colo-ops", "metal-01", "bare-metal"),
]


@pytest.mark.parametrize(("bucket", "owner", "hostname", "role"), SAMPLES)
def test_each_bucket_claims_its_sample_host_by_name_and_by_label(
    bucket: str, owner: str, hostname: str, role: str
) -> None:
    by_name = classify(POLICY, HostFacts(hostname=hostname))
    by_label = classify(POLICY, HostFacts(hostname="anonymous", labels={"role": role}))
    assert (by_name.bucket, by_name.owner) == (bucket, owner)
    assert (by_label.bucket, by_label.owner) == (bucket, owner)


def test_every_bucket_has_a_sample() -> None:
    assert [b.name for b in POLICY.buckets] == [s[0] for s in SAMPLES]


def test_an_unknown_host_is_unclassified() -> None:
    assert classify(POLICY, HostFacts(hostname="laptop-7", labels={"role": "dev"})).unclassified


def test_the_example_follows_the_design() -> None:
    k8s, db, stateless, metal = POLICY.buckets
    assert (k8s.strategy, k8s.windows[0].cron, k8s.windows[0].duration_minutes) == (
        "rolling-reboot",
        "0 3 * * *",
        60,
    )
    assert k8s.concurrency == Concurrency(percent=10.0)
    assert db.strategy == "in-place-gated"
    assert [(g.name, g.phase) for g in db.gates] == [("pre-check", "pre"), ("post-check", "post")]
    assert db.reboot_timeout_seconds == 300
    assert (stateless.strategy, stateless.windows[0].cron) == ("replace", "0 2 * * sun")
    assert stateless.windows[0].duration_minutes == 120
    assert (metal.strategy, metal.announce_days, metal.exclusive) == ("manual", 14, True)
    assert {o.name for o in POLICY.owners} >= {b.owner for b in POLICY.buckets}
    assert all(o.contacts.chat and o.contacts.email for o in POLICY.owners)
    assert POLICY.baselines
