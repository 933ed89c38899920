"""Hostnames and labels of generated hosts: what the example policy's match rules look at.

| kind | hostname | labels |
| --- | --- | --- |
| k8s-node | `k8s-node-0001` | `role=k8s-node`, `cluster`, `nodepool` |
| db | `db-001` | `role=db`, `cluster=pg-N`, `replication=primary` (first of three) or `replica` |
| stateless | `jump-01`, `util-01` (one jump host in four) | `role=stateless`, `service` |
| bare-metal | `metal-01` | `role=bare-metal`, `site` |
| unclassified | `scratch-01` | no `role` label |

Every host also has `env` and `os`. Numbers start at 1 and widen past their padding when needed.
"""

from __future__ import annotations

from fleetpatch.simulate.kinds import Kind
from fleetpatch.simulate.packagedata import DEBIAN_12

K8S_CLUSTERS = ("prod-eu-1", "prod-us-1", "prod-ap-1", "staging-eu-1")
NODEPOOLS = ("general", "general", "memory", "gpu")
SITES = ("colo-ams1", "colo-fra2", "colo-iad3")
DB_CLUSTER_SIZE = 3  # one primary, two replicas


def hostname(kind: Kind, ordinal: int) -> str:
    n = ordinal + 1
    if kind is Kind.K8S:
        return f"k8s-node-{n:04d}"
    if kind is Kind.DB:
        return f"db-{n:03d}"
    if kind is Kind.STATELESS:
        return f"jump-{ordinal // 4 + 1:02d}" if ordinal % 4 == 0 else f"util-{_util(ordinal):02d}"
    if kind is Kind.METAL:
        return f"metal-{n:02d}"
    return f"scratch-{n:02d}"


def _util(ordinal: int) -> int:
    """Util hosts are numbered 1, 2, 3... skipping the slots jump hosts took."""
    return ordinal - ordinal // 4


def host_labels(kind: Kind, ordinal: int, ecosystem: str) -> dict[str, str]:
    labels = {"env": "prod", "os": "debian" if ecosystem == DEBIAN_12 else "almalinux"}
    if kind is Kind.K8S:
        cluster = K8S_CLUSTERS[ordinal % len(K8S_CLUSTERS)]
        labels.update(role="k8s-node", cluster=cluster, nodepool=NODEPOOLS[ordinal % 7 % 4])
        if cluster.startswith("staging"):
            labels["env"] = "staging"
    elif kind is Kind.DB:
        replication = "primary" if ordinal % DB_CLUSTER_SIZE == 0 else "replica"
        labels.update(
            role="db", cluster=f"pg-{ordinal // DB_CLUSTER_SIZE + 1}", replication=replication
        )
    elif kind is Kind.STATELESS:
        labels.update(role="stateless", service="jump" if ordinal % 4 == 0 else "util")
    elif kind is Kind.METAL:
        labels.update(role="bare-metal", site=SITES[ordinal % len(SITES)])
    else:
        labels["team"] = "research"
    return labels
