"""Classification of hosts into buckets: one table, one row per rule kind and edge."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from fleetpatch.inventory.records import HostReport, Image, OsInfo
from fleetpatch.policy.classify import Classification, HostFacts, classify
from fleetpatch.policy.records import Bucket, MatchRule, Policy


def bucket(name: str, *rules: MatchRule, exclusive: bool = False) -> Bucket:
    return Bucket(
        name=name, owner=f"{name}-team", strategy="manual", match=rules, exclusive=exclusive
    )


POLICY = Policy(
    buckets=(
        bucket("k8s", MatchRule(labels={"role": "k8s-node"}), MatchRule(hostname="k8s-node-*")),
        bucket("db", MatchRule(hostname_regex=r"db-[0-9]+")),
        bucket("alpine", MatchRule(ecosystem="Alpine:")),
        bucket("bookworm", MatchRule(ecosystem="Debian:12")),
        bucket("ami", MatchRule(image_prefix="ami-0abc")),
        bucket("agentless", MatchRule(collector="ssh", labels={"env": "prod"})),
        bucket("empty", MatchRule()),
        bucket("catch-jump", MatchRule(hostname="jump-*")),
        bucket("also-jump", MatchRule(hostname="jump-0*")),
    )
)

CASES = [
    ("label", HostFacts("x1", labels={"role": "k8s-node"}), "k8s"),
    ("label value differs", HostFacts("x1", labels={"role": "db"}), None),
    ("glob", HostFacts("k8s-node-017"), "k8s"),
    ("glob is case-sensitive", HostFacts("K8S-NODE-017"), None),
    ("regex full match", HostFacts("db-03"), "db"),
    ("regex does not match a prefix", HostFacts("db-03-old"), None),
    ("ecosystem prefix", HostFacts("a1", ecosystem="Alpine:v3.20"), "alpine"),
    ("ecosystem exact", HostFacts("d1", ecosystem="Debian:12"), "bookworm"),
    ("ecosystem exact is not a prefix", HostFacts("d1", ecosystem="Debian:11"), None),
    ("image prefix", HostFacts("i1", image_id="ami-0abc1234"), "ami"),
    ("image prefix elsewhere", HostFacts("i1", image_id="ami-0def"), None),
    ("collector and label", HostFacts("s1", collector="ssh", labels={"env": "prod"}), "agentless"),
    ("collector without label", HostFacts("s1", collector="ssh"), None),
    ("label without collector", HostFacts("s1", collector="agent", labels={"env": "prod"}), None),
    ("first bucket wins", HostFacts("jump-02"), "catch-jump"),
    ("unclassified", HostFacts("mystery"), None),
    ("empty rule matches nothing", HostFacts(""), None),
]


@pytest.mark.parametrize(("host", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_classify(host: HostFacts, expected: str | None) -> None:
    result = classify(POLICY, host)
    assert result.bucket == expected
    assert result.owner == (f"{expected}-team" if expected else None)
    assert result.unclassified is (expected is None)
    assert result.conflict == ()


def test_a_catastrophic_backtracking_pattern_classifies_correctly() -> None:
    # Under Python's re, `(a+)+$` against this hostname backtracks for longer than anyone waits;
    # RE2 answers in linear time (bench/bench_policy_regex.py shows the figures).
    policy = Policy(buckets=(bucket("as", MatchRule(hostname_regex=r"(a+)+$")),))
    assert classify(policy, HostFacts("a" * 50_000 + "!")).unclassified
    assert classify(policy, HostFacts("a" * 50_000)).bucket == "as"


def test_the_regex_is_still_a_full_match_with_inline_flags() -> None:
    policy = Policy(buckets=(bucket("db", MatchRule(hostname_regex=r"(?i)db-\d+")),))
    assert classify(policy, HostFacts("DB-01")).bucket == "db"
    assert classify(policy, HostFacts("DB-01.example.com")).unclassified
    assert classify(policy, HostFacts("old-db-01")).unclassified


def test_exclusive_bucket_that_overlaps_is_a_conflict_not_a_silent_choice() -> None:
    policy = Policy(
        buckets=(
            bucket("metal", MatchRule(hostname="metal-*"), exclusive=True),
            bucket("by-role", MatchRule(labels={"role": "bare-metal"})),
        )
    )
    both = classify(policy, HostFacts("metal-01", labels={"role": "bare-metal"}))
    assert both == Classification(bucket=None, owner=None, conflict=("metal", "by-role"))
    assert classify(policy, HostFacts("metal-01")).bucket == "metal"
    assert classify(policy, HostFacts("x", labels={"role": "bare-metal"})).bucket == "by-role"


def test_overlap_without_exclusive_goes_to_the_first() -> None:
    policy = Policy(
        buckets=(bucket("a", MatchRule(hostname="h*")), bucket("b", MatchRule(hostname="h1")))
    )
    assert classify(policy, HostFacts("h1")) == Classification(bucket="a", owner="a-team")


def test_host_facts_from_a_report() -> None:
    report = HostReport(
        hostname="i-0abc",
        collected_at=datetime(2026, 11, 27, 10, tzinfo=UTC),
        os=OsInfo(id="debian", version_id="12"),
        ecosystem="Debian:12",
        packages=(),
        image=Image(id="ami-0abc99", name="base"),
        labels={"env": "prod"},
        collector="ssh",
    )
    facts = HostFacts.from_report(report)
    assert facts == HostFacts("i-0abc", "Debian:12", {"env": "prod"}, "ami-0abc99", "ssh")
    assert classify(POLICY, facts).bucket == "bookworm"
    no_image = HostFacts.from_report(replace(report, image=None, ecosystem=""))
    assert classify(POLICY, no_image).bucket == "agentless"
