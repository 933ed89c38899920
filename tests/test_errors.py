"""The did-you-mean every unknown-name error carries: closest first, equals A to Z, at most three,
nothing when nothing is close, and still right over a fleet-sized list of names."""

from __future__ import annotations

from fleetpatch.errors import SHORTLIST, NotFoundError, UnknownNameError, close_names


def test_the_closest_names_come_first_and_ties_read_a_to_z() -> None:
    known = ["db-03", "db-01", "web-01", "db-02", "db-04"]
    assert close_names("db-0", known) == ["db-01", "db-02", "db-03"]
    assert close_names("wbe-01", known)[0] == "web-01"
    assert close_names("zzz", known) == []


def test_the_message_names_the_suggestions_or_else_the_hint() -> None:
    near = UnknownNameError("bucket", "databse", ["databases"], where=" in the policy", hint="!")
    assert str(near) == "no bucket 'databse' in the policy; did you mean 'databases'?"
    assert isinstance(near, NotFoundError)
    assert (near.exit_code, near.http_status) == (2, 404)
    far = UnknownNameError("bucket", "zzz", ["databases"], hint=" (buckets: databases)")
    assert str(far) == "no bucket 'zzz' (buckets: databases)"


def test_a_fleet_of_names_is_narrowed_by_prefix_and_still_finds_the_typo() -> None:
    hosts = [f"web-{i:05d}.example.net" for i in range(50_000)]
    assert len(hosts) > SHORTLIST
    assert close_names("WEB-04321.example.ne", hosts)[0] == "web-04321.example.net"
    assert close_names("web-04321.exmaple.net", hosts)[0] == "web-04321.example.net"
