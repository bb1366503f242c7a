"""The store's mail tables as the sync reads them: batch lookups by Message-ID, threads with their
job flag, locations, and the subject fallback's recent threads with their people."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from daemon.mail.imap import FetchedHeaders
from daemon.store import MIGRATIONS, Store, StoredMessage, apply_migrations
from daemon.sync import _by_size


def _message(message_id: str, thread_id: int, **extra: object) -> StoredMessage:
    fields: dict[str, object] = {
        "message_id": message_id,
        "gm_msgid": None,
        "thread_id": thread_id,
        "date": "2026-11-19T10:00:00+00:00",
        "sender": "dana@firm.example",
        "sender_name": "Dana",
        "recipients": frozenset({"carol@example.test"}),
        "subject": "Re: Platform role",
        "from_me": False,
        "automatic": False,
        "kind": None,
        "note": "",
        "references": (),
    }
    fields.update(extra)
    return StoredMessage(**fields)  # type: ignore[arg-type]


def test_batch_lookups_find_stored_messages_and_their_threads(tmp_path: Path) -> None:
    with Store(tmp_path) as store, store.transaction() as db:
        job = store.new_thread(db, "Platform role", "platform role", None)
        other = store.new_thread(db, "Lunch", "lunch", None)
        first = store.add_message(db, _message("a@x", job, references=("root@x",)))
        store.add_message(db, _message("b@x", other, gm_msgid="177"))
        store.mark_job_thread(db, job)
        store.add_locations(db, [("INBOX", 7, 1, first, None), ("INBOX", 7, 2, None, "broken")])
    with Store(tmp_path) as store:
        by_id, by_gmail = store.messages_known(["a@x", "nobody@x", "a@x"], ["177", "999"])
        assert by_id == {"a@x": first}
        assert set(by_gmail) == {"177"}
        assert store.threads_of(["a@x", "root@x", "b@x", "unknown@x"]) == {
            "a@x": (job, True),
            "root@x": (job, True),
            "b@x": (other, False),
        }
        assert store.known_uids("INBOX", 7) == {1, 2}
        assert store.skipped_messages() == [("INBOX", 2, "broken")]


def test_many_ids_are_looked_up_in_chunks(tmp_path: Path) -> None:
    ids = [f"m{n}@x" for n in range(1_234)]
    with Store(tmp_path) as store:
        with store.transaction() as db:
            thread = store.new_thread(db, "s", "s", None)
            for message_id in ids[::2]:
                store.add_message(db, _message(message_id, thread))
        by_id, _ = store.messages_known(ids)
        assert set(by_id) == set(ids[::2])
        assert len(store.threads_of(ids)) == len(ids[::2])


def test_subject_fallback_sees_recent_threads_and_everyone_in_them(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        with store.transaction() as db:
            old = store.new_thread(db, "Platform role", "platform role", None)
            store.add_message(db, _message("o@x", old, date="2026-01-01T00:00:00+00:00"))
            recent = store.new_thread(db, "Platform role", "platform role", None)
            store.add_message(db, _message("r1@x", recent))
            store.add_message(
                db,
                _message(
                    "r2@x",
                    recent,
                    sender="sam@firm.example",
                    recipients=frozenset({"carol@example.test", "lee@firm.example"}),
                ),
            )
            store.new_thread(db, "Lunch", "lunch", None)
        found = store.threads_by_subject("platform role", "2026-11-01T00:00:00+00:00")
    assert found == [
        (
            recent,
            frozenset(
                {"dana@firm.example", "sam@firm.example", "carol@example.test", "lee@firm.example"}
            ),
        )
    ]


def test_bodies_are_fetched_a_few_megabytes_at_a_time() -> None:
    def item(uid: int, size: int) -> FetchedHeaders:
        return FetchedHeaders(uid, b"", size, None, None)

    # A 50 MB message counts as the 4 MiB of it that is fetched.
    items = [item(1, 3 << 20), item(2, 3 << 20), item(3, 3 << 20), item(4, 50 << 20), item(5, 10)]
    assert list(_by_size(items, 8 << 20)) == [[1, 2], [3, 4, 5]]
    assert list(_by_size([item(6, 9 << 20)], 1 << 20)) == [[6]]


def test_a_decision_date_is_kept_per_thread_and_a_later_message_s_replaces_it(
    tmp_path: Path,
) -> None:
    with Store(tmp_path) as store:
        with store.transaction() as db:
            job = store.new_thread(db, "Platform role", "platform role", None)
            other = store.new_thread(db, "Lunch", "lunch", None)
        assert store.thread_decision(job) is None
        with store.transaction() as db:
            store.set_thread_decision(db, job, date(2026, 12, 11))
        assert store.thread_decision(job) == date(2026, 12, 11)
        with store.transaction() as db:  # "sorry, we need one more week"
            store.set_thread_decision(db, job, date(2026, 12, 18))
        with store.transaction() as db:  # "we will decide by Wednesday" (earlier, but newer)
            store.set_thread_decision(db, job, date(2026, 12, 16))
        assert store.thread_decision(other) is None
        assert store.thread_decision(12345) is None
    with Store(tmp_path) as store:  # it survives a restart
        assert store.thread_decision(job) == date(2026, 12, 16)


def test_state_written_before_decision_dates_migrates(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "afterview.sqlite3", isolation_level=None)
    names = [m.name for m in MIGRATIONS]
    old = MIGRATIONS[: names.index("0004_thread_outcome") + 1]  # as afterview left it then
    apply_migrations(db, old)
    db.execute("INSERT INTO thread (id, subject, outcome) VALUES (7, 'Platform role', 'offer')")
    db.close()
    with Store(tmp_path) as store:
        assert store.schema_version() == [m.name for m in MIGRATIONS]
        assert "0005_thread_decision_by" in store.schema_version()
        assert store.thread_outcome(7) == "offer"  # what was there is kept
        assert store.thread_decision(7) is None
        with store.transaction() as tx:
            store.set_thread_decision(tx, 7, date(2026, 12, 4))
        assert store.thread_decision(7) == date(2026, 12, 4)


def test_the_people_behind_a_thread_start_with_the_reply_to_of_the_latest_mail(
    tmp_path: Path,
) -> None:
    with Store(tmp_path) as store, store.transaction() as db:
        thread = store.new_thread(db, "Interview", "interview", None)
        store.add_message(db, _message("old@x", thread, date="2026-11-18T10:00:00+00:00",
                                       sender="sam@firm.example", sender_name="Sam",
                                       recipients=frozenset({"carol@example.test",
                                                             "lee@firm.example"})))  # fmt: skip
        store.add_message(db, _message("ats@x", thread, sender="no-reply@ats.example",
                                       sender_name="Firm via ATS",
                                       reply_to=(("Dana Lee", "Dana@Firm.example"),)))  # fmt: skip
        store.add_message(db, _message("auto@x", thread, sender="ooo@firm.example",
                                       automatic=True))  # fmt: skip
    with Store(tmp_path) as store:
        assert store.thread_people(thread) == [
            ("dana@firm.example", "Dana Lee"),  # the latest mail's Reply-To first
            ("no-reply@ats.example", "Firm via ATS"),  # the caller drops robots
            ("sam@firm.example", "Sam"),
            ("carol@example.test", ""),  # the caller drops the user
            ("lee@firm.example", ""),  # copied in
        ]


def test_merged_threads_keep_what_either_knew(tmp_path: Path) -> None:
    with Store(tmp_path) as store, store.transaction() as db:
        keep = store.new_thread(db, "A", "a", None)
        other = store.new_thread(db, "B", "b", None)
        store.set_thread_outcome(db, other, "rejection")
        store.set_thread_decision(db, other, date(2026, 12, 4))
        store.set_thread_decision(db, keep, date(2026, 12, 1))
        store.merge_threads(db, keep, [other])
    with Store(tmp_path) as store:
        assert store.thread_outcome(keep) == "rejection"
        assert store.thread_decision(keep) == date(2026, 12, 4)
