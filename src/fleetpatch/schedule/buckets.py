"""When buckets open under the policy: windows minus the fleet's and the bucket's blackouts (pure).

These are the questions the rest of fleetpatch asks about cadence: "when is this bucket's next
window?" (a field of every host's status), "which windows open in the next N days?" (the
`windows` command, the calendar feed, announcements).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetpatch.errors import UnknownNameError
from fleetpatch.policy.records import Blackout, Bucket, Policy
from fleetpatch.schedule.windows import Opening, is_open, next_openings, openings_between


@dataclass(frozen=True, slots=True)
class BucketOpening:
    """One opening of one bucket; `timezone` is its first window's, for showing local times."""

    bucket: str
    owner: str
    opening: Opening
    timezone: str

    @property
    def start(self) -> datetime:
        return self.opening.start

    @property
    def end(self) -> datetime:
        return self.opening.end


def blackouts_for(policy: Policy, bucket: Bucket) -> tuple[Blackout, ...]:
    return (*policy.blackouts, *bucket.blackouts)


def find_bucket(policy: Policy, name: str) -> Bucket:
    """The policy's bucket `name`; `UnknownNameError` naming the closest buckets if none."""
    bucket = policy.bucket(name)
    if bucket is None:
        known = [b.name for b in policy.buckets]
        listed = f" (buckets: {', '.join(known)})" if known else " (it has no buckets)"
        raise UnknownNameError("bucket", name, known, where=" in the policy", hint=listed)
    return bucket


def find_owner(policy: Policy, name: str) -> str:
    """`name` if the policy knows that team (as an owner or a bucket's owner), else
    `UnknownNameError` naming the closest teams."""
    known = {o.name for o in policy.owners} | {b.owner for b in policy.buckets}
    if name not in known:
        listed = f" (owners: {', '.join(sorted(known))})" if known else " (it has no owners)"
        raise UnknownNameError("owner", name, known, where=" in the policy", hint=listed)
    return name


def next_window(policy: Policy, bucket: Bucket, at: datetime) -> Opening | None:
    """The opening in progress at `at`, or else the next one (None: the windows never open)."""
    found = next_openings(bucket.windows, at, 1, blackouts_for(policy, bucket))
    return found[0] if found else None


def bucket_is_open(policy: Policy, bucket: Bucket, at: datetime) -> bool:
    return is_open(bucket.windows, at, blackouts_for(policy, bucket))


def upcoming(
    policy: Policy, now: datetime, days: float, buckets: Sequence[Bucket] | None = None
) -> list[BucketOpening]:
    """Openings that end after `now` and start within `days`, in time order, then bucket."""
    end = now + timedelta(days=days)
    found = [
        BucketOpening(b.name, b.owner, o, _zone(b))
        for b in (policy.buckets if buckets is None else buckets)
        for o in openings_between(b.windows, now, end, blackouts_for(policy, b))
    ]
    return sorted(found, key=lambda f: (f.start, f.bucket))


def _zone(bucket: Bucket) -> str:
    return bucket.windows[0].timezone if bucket.windows else "UTC"
