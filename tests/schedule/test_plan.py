"""Wave planning as tables: concurrency (count and %), anti-affinity, replicas before primaries,
canaries first, reboots expected from the packages, steps and durations from history or policy."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import AntiAffinity, Canaries, Concurrency
from fleetpatch.schedule.plan import PackageChange, PlanHost, make_plan
from fleetpatch.schedule.steps import reboot_reasons

POLICY = parse_policy(EXAMPLE_POLICY)
K8S, DATABASES, STATELESS, METAL = POLICY.buckets
OPENSSL = PackageChange("libssl3", "3.0.15-1~deb12u1", "3.0.17-1~deb12u2", security=True)
KERNEL = PackageChange("linux-image-amd64", "6.1.123-1", "6.1.129-1")


def host(name: str, *changes: PackageChange, **labels: str) -> PlanHost:
    return PlanHost(name, labels, tuple(changes), False, ("outdated",) if changes else ())


def names(plan_waves: object) -> list[list[str]]:
    return [[h.hostname for h in w.hosts] for w in plan_waves]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("concurrency", "size", "expected"),
    [
        (Concurrency(percent=10), 25, 2),  # 2.5 rounds down
        (Concurrency(percent=10), 5, 1),  # 0.5 rounds down to 0, at least 1
        (Concurrency(percent=50), 7, 3),
        (Concurrency(count=4), 2, 4),
        (Concurrency(count=3), 100, 3),
    ],
)
def test_concurrency_limit(concurrency: Concurrency, size: int, expected: int) -> None:
    bucket = replace(K8S, concurrency=concurrency, canaries=Canaries())
    hosts = [host(f"n{i:02}", OPENSSL) for i in range(size)]
    plan = make_plan(bucket, hosts, bucket_size=size, window=None)
    assert plan.concurrency == expected
    assert max(len(w.hosts) for w in plan.waves) == min(expected, size)
    assert sum(len(w.hosts) for w in plan.waves) == size


def test_only_hosts_that_need_work_are_planned() -> None:
    hosts = [host("db-01", OPENSSL), host("db-02"), host("db-03", KERNEL)]
    plan = make_plan(DATABASES, hosts, bucket_size=3, window=None)
    assert names(plan.waves) == [["db-01"], ["db-03"]]
    assert (plan.hosts, plan.up_to_date) == (2, 1)


def test_anti_affinity_never_two_of_one_cluster_and_replicas_before_primaries() -> None:
    bucket = replace(DATABASES, concurrency=Concurrency(count=3))
    hosts = [
        host("db-01", OPENSSL, cluster="orders", replication="primary"),
        host("db-02", OPENSSL, cluster="orders", replication="replica"),
        host("db-03", OPENSSL, cluster="orders", replication="replica"),
        host("db-04", OPENSSL, cluster="users", replication="primary"),
        host("db-05", OPENSSL, cluster="users", replication="replica"),
        host("db-06", OPENSSL),  # in no cluster
    ]
    plan = make_plan(bucket, hosts, bucket_size=6, window=None)
    assert names(plan.waves) == [
        ["db-02", "db-05", "db-06"],
        ["db-03", "db-04"],
        ["db-01"],
    ]
    for wave in plan.waves:
        clusters = [h.group for h in wave.hosts if h.group]
        assert len(clusters) == len(set(clusters))


def test_max_per_group_two() -> None:
    bucket = replace(
        DATABASES, concurrency=Concurrency(count=10), anti_affinity=AntiAffinity("rack", 2)
    )
    hosts = [host(f"db-{i}", OPENSSL, rack="r1") for i in range(5)]
    plan = make_plan(bucket, hosts, bucket_size=5, window=None)
    assert [len(w.hosts) for w in plan.waves] == [2, 2, 1]


def test_canaries_first_in_a_wave_of_their_own() -> None:
    bucket = replace(
        K8S, concurrency=Concurrency(count=3), canaries=Canaries(2, {"canary": "true"})
    )
    hosts = [host(f"k8s-node-{i:02}", OPENSSL) for i in range(1, 7)]
    hosts[4] = host("k8s-node-05", OPENSSL, canary="true")
    plan = make_plan(bucket, hosts, bucket_size=6, window=None)
    # the labelled canary, topped up by name to two
    assert names(plan.waves) == [
        ["k8s-node-01", "k8s-node-05"],
        ["k8s-node-02", "k8s-node-03", "k8s-node-04"],
        ["k8s-node-06"],
    ]
    assert [w.canary for w in plan.waves] == [True, False, False]
    assert all(h.canary for h in plan.waves[0].hosts)
    assert not any(h.canary for h in plan.waves[1].hosts)


@pytest.mark.parametrize(
    ("packages", "pending", "expected"),
    [
        (["libssl3", "curl"], False, ()),
        (["linux-image-6.1.0-31-amd64", "curl"], False, ("linux-image-6.1.0-31-amd64",)),
        (["libc6", "systemd", "dbus"], False, ("libc6", "systemd", "dbus")),
        (["kernel-core", "glibc", "openssl-libs"], False, ("kernel-core", "glibc")),
        (["intel-microcode"], True, ("pending reboot", "intel-microcode")),
        ([], True, ("pending reboot",)),
    ],
)
def test_reboot_expected(packages: list[str], pending: bool, expected: tuple[str, ...]) -> None:
    assert reboot_reasons(packages, pending=pending) == expected


def test_steps_follow_the_strategy_with_gates_and_durations() -> None:
    hosts = [host("db-01", KERNEL), host("db-02", OPENSSL)]
    plan = make_plan(DATABASES, hosts, bucket_size=2, window=None)
    first, second = (w.hosts[0] for w in plan.waves)
    assert [(s.name, s.seconds, s.source) for s in first.steps] == [
        ("pre-check", 60.0, "default"),
        ("upgrade", 900.0, "policy"),
        ("reboot", 240.0, "policy"),
        ("post-check", 60.0, "default"),
    ]
    assert first.reboot_expected
    assert first.reboot_reasons == ("linux-image-amd64",)
    assert [s.name for s in second.steps] == ["pre-check", "upgrade", "post-check"]
    assert plan.seconds == first.seconds + second.seconds == 1260 + 1020


def test_measured_history_wins_over_the_policy() -> None:
    history = {"upgrade": [400.0, 500.0, 3000.0], "reboot": [100.0]}
    plan = make_plan(
        DATABASES, [host("db-01", KERNEL)], bucket_size=1, window=None, history=history
    )
    steps = {s.name: (s.seconds, s.source) for s in plan.waves[0].hosts[0].steps}
    assert steps["upgrade"] == (500.0, "measured")  # the median, not the mean
    assert steps["reboot"] == (100.0, "measured")


def test_replace_and_manual_strategies() -> None:
    [stateless] = make_plan(STATELESS, [host("jump-01", KERNEL)], bucket_size=1, window=None).waves
    assert [s.name for s in stateless.hosts[0].steps] == ["launch", "health-check", "retire"]
    assert not stateless.hosts[0].reboot_expected  # rebuilt from its image, not rebooted
    [metal] = make_plan(METAL, [host("metal-01", KERNEL)], bucket_size=1, window=None).waves
    assert [s.name for s in metal.hosts[0].steps] == ["manual"]
