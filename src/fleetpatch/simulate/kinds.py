"""The kinds of generated hosts, matching the example policy's buckets.

A kind decides the hostname pattern, the labels a policy matches on, the image family and how long
hosts of that kind typically stay up. `UNCLASSIFIED` hosts carry no `role` label and a hostname no
example rule matches, so classification shows them as a problem (about 2 % of a fleet).
"""

from __future__ import annotations

from enum import Enum


class Kind(Enum):
    K8S = "k8s-node"
    DB = "db"
    STATELESS = "stateless"
    METAL = "bare-metal"
    UNCLASSIFIED = "unclassified"


# Share of the fleet per kind; Kubernetes nodes take what is left.
SHARES = {Kind.DB: 0.08, Kind.STATELESS: 0.14, Kind.METAL: 0.004, Kind.UNCLASSIFIED: 0.02}

# Typical uptime range in days per kind: nodes are recycled often, colo machines hardly ever.
UPTIME_DAYS = {
    Kind.K8S: (0.2, 14.0),
    Kind.DB: (3.0, 60.0),
    Kind.STATELESS: (0.5, 30.0),
    Kind.METAL: (20.0, 300.0),
    Kind.UNCLASSIFIED: (1.0, 90.0),
}

# The one long-uptime snowflake every fleet has: metal-01 has been up this many days.
LONGEST_UPTIME_DAYS = 412


def kind_counts(count: int) -> dict[Kind, int]:
    """How many hosts of each kind a fleet of `count` has; at least one bare-metal host."""
    counts: dict[Kind, int] = {}
    left = count
    for kind in (Kind.METAL, Kind.DB, Kind.STATELESS, Kind.UNCLASSIFIED):
        wanted = round(count * SHARES[kind])
        if kind is Kind.METAL:
            wanted = max(1, wanted)
        counts[kind] = min(left, wanted)
        left -= counts[kind]
    counts[Kind.K8S] = left
    return counts


def interleave(counts: dict[Kind, int]) -> list[tuple[Kind, int]]:
    """(kind, ordinal) for every host, spread so any prefix of the fleet has a mix of kinds."""
    slots = [(kind, n) for kind, total in counts.items() for n in range(total)]
    return sorted(slots, key=lambda s: ((s[1] + 0.5) / counts[s[0]], list(Kind).index(s[0])))
