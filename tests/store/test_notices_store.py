"""The notice outbox on every backend: add once, claim once, settle, retry, and what a claim
left by a dead sender becomes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fleetpatch.store import Store
from fleetpatch.store.notices import Notice, NoticeRepository

T0 = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


def add(store: Store, key: str, channel: str = "chat", *, resend: bool = False) -> bool:
    with store.session(write=True) as session:
        return NoticeRepository(session).add(
            key=key,
            team="dba",
            channel=channel,
            event="page.trigger" if resend else "run.started",
            message={"key": key, "subject": f"about {key}"},
            now=T0,
            run_id="run-1",
            host="db-01",
            resend=resend,
        )


def claim(
    store: Store, holder: str, now: datetime, channels: tuple[str, ...] = ("chat", "pd")
) -> Notice | None:
    with store.session(write=True) as session:
        return NoticeRepository(session).claim_next(list(channels), holder, now, 300)


def finish(store: Store, notice_id: int, holder: str, **outcome: Any) -> str:
    with store.session(write=True) as session:
        return NoticeRepository(session).finish(notice_id, holder=holder, now=T0, **outcome)


def test_a_delivery_is_added_once(store: Store) -> None:
    assert add(store, "run-1/run.started")
    assert not add(store, "run-1/run.started")
    assert add(store, "run-1/run.started", channel="hooks")
    with store.session() as session:
        assert len(NoticeRepository(session).listing()) == 2


def test_a_claimed_delivery_is_not_claimed_again_and_a_sent_one_never(store: Store) -> None:
    add(store, "k")
    first = claim(store, "w1", T0)
    assert first is not None
    assert (first.status, first.attempts, first.claimed_by) == ("claimed", 1, "w1")
    assert claim(store, "w2", T0 + timedelta(days=1)) is None  # unsettled: never resent
    assert finish(store, first.id, "w1") == "sent"
    assert claim(store, "w2", T0 + timedelta(days=2)) is None


def test_only_the_claimer_may_settle_it(store: Store) -> None:
    add(store, "k")
    notice = claim(store, "w1", T0)
    assert notice is not None
    with pytest.raises(LookupError, match="not claimed by w2"):
        finish(store, notice.id, "w2")


def test_a_failure_is_retried_at_its_time_and_a_permanent_one_never(store: Store) -> None:
    add(store, "retry")
    add(store, "dead")
    a = claim(store, "w1", T0)
    b = claim(store, "w1", T0)
    assert a is not None
    assert b is not None
    assert finish(store, a.id, "w1", error="HTTP 503", retry_at=T0 + timedelta(minutes=5)) == (
        "failed"
    )
    assert finish(store, b.id, "w1", error="HTTP 400") == "abandoned"
    assert claim(store, "w1", T0 + timedelta(minutes=4)) is None
    again = claim(store, "w1", T0 + timedelta(minutes=5))
    assert again is not None
    assert (again.key, again.attempts, again.error) == ("retry", 2, "HTTP 503")
    assert claim(store, "w1", T0 + timedelta(days=9)) is None


def test_an_unsettled_page_is_claimed_again_after_the_ttl(store: Store) -> None:
    add(store, "page", channel="pd", resend=True)
    first = claim(store, "dead", T0)
    assert first is not None
    assert claim(store, "w2", T0 + timedelta(seconds=299)) is None
    with store.session() as session:
        [row] = NoticeRepository(session).listing()
    assert not row.unsettled(T0 + timedelta(seconds=299), 300)
    assert row.unsettled(T0 + timedelta(seconds=300), 300)
    again = claim(store, "w2", T0 + timedelta(seconds=300))
    assert again is not None
    assert (again.attempts, again.claimed_by) == (2, "w2")


def test_only_the_workers_channels_are_claimed(store: Store) -> None:
    add(store, "k", channel="mail")
    assert claim(store, "w1", T0, ("chat",)) is None
    assert claim(store, "w1", T0, ()) is None
    assert claim(store, "w1", T0, ("mail",)) is not None


def test_two_workers_racing_never_claim_the_same_delivery(store: Store) -> None:
    for i in range(40):
        add(store, f"k{i:02d}")
    claimed: dict[str, list[str]] = {"w1": [], "w2": []}
    errors: list[BaseException] = []

    def work(holder: str) -> None:
        try:
            for _ in range(100):
                notice = claim(store, holder, T0)
                if notice is None:
                    return
                claimed[holder].append(notice.key)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(h,)) for h in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    every = claimed["w1"] + claimed["w2"]
    assert sorted(every) == [f"k{i:02d}" for i in range(40)]  # each once, none twice


def test_open_pages_are_the_triggers_without_a_resolve(store: Store) -> None:
    def page(key: str, event: str) -> None:
        with store.session(write=True) as session:
            NoticeRepository(session).add(
                key=f"{key}/{event.split('.')[1]}",
                team="dba",
                channel="pd",
                event=event,
                message={"key": key},
                now=T0,
                host="db-01",
                resend=True,
            )

    page("fp-1", "page.trigger")
    page("fp-2", "page.trigger")
    page("fp-1", "page.resolve")
    with store.session() as session:
        repo = NoticeRepository(session)
        assert [p.key for p in repo.open_pages("db-01")] == ["fp-2/trigger"]
        assert repo.open_pages("db-02") == []
