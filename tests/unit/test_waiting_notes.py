"""`afterview drafts`: the notes waiting for the user, listed, shown and answered at the
terminal. An answer here goes through the code an emailed one does: the emailed token is spent,
the outbox sends the note once, within the daily cap, and holds it when the employer wrote."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from daemon.approval import Action, Command
from daemon.config import Config, load_config
from daemon.errors import Refused
from daemon.followup import FollowUpReport
from daemon.interviews import Interview, Status
from daemon.outbox import Phase, State
from daemon.store import Store
from daemon.store.followup import FollowUpRecords
from daemon.waiting_notes import answer
from tests.cli import afterview
from tests.unit import test_followup as base
from tests.unit.test_followup import ALICE, BOB, CAROL, PANEL_END, Outgoing, followups, panel

AFTER = PANEL_END + timedelta(hours=2)  # the thank-yous are drafted and asked about
config = base.config  # Carol's config (Europe/Berlin), its state in tmp_path / "state"


@pytest.fixture
def asked(config: Config) -> Iterator[Outgoing]:
    """Bob and Alice held a panel; a thank-you to each waits for Carol (draft 1 to Bob, 2 to
    Alice). What went out: the two approval requests, to Carol."""
    outgoing = Outgoing()
    with Store(config.state_dir) as store:
        panel(store)
        followups(config, store, outgoing, AFTER).propose(FollowUpReport())
    assert [to for to, _ in outgoing.mails] == [[CAROL], [CAROL]]
    yield outgoing


def drafts(config: Config, *args: str) -> tuple[int, str, str]:
    result = afterview("--config", str(config.path), "drafts", *args)
    return result.returncode, result.stdout, result.stderr


def state_of(store: Store, draft_id: int) -> State:
    entry = FollowUpRecords(store).entry_of(draft_id)
    assert entry is not None
    return entry.state


def reply(outgoing: Outgoing, draft_id: int, text: str) -> bytes:
    """Carol's emailed answer to the approval request about this draft."""
    whom = "Bob Interviewer" if draft_id == 1 else "Alice Panel"
    [request] = [m for _, m in outgoing.mails if f"to {whom} [av:" in str(m["Subject"])]
    return base.answer_by_mail(base.request_token(request), text)


def test_drafts_lists_and_shows_the_notes_even_while_the_daemon_runs(
    config: Config, asked: Outgoing
) -> None:
    with Store(config.state_dir):  # the daemon holds the state
        code, out, err = drafts(config, "--now", AFTER.isoformat())
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].split() == ["ID", "NOTE", "TO", "DUE", "STATE", "SUBJECT"]
        assert lines[1].startswith("1 ") and "Bob Interviewer <bob@lumen.example>" in lines[1]
        assert "Thank-you note (Lumen Labs)" in lines[1] and "waiting for you" in lines[1]
        assert "Fri 2026-12-04 17:00 CET" in lines[1]  # a day after it ended
        assert lines[2].startswith("2 ") and "Alice Panel" in lines[2]
        code, out, err = drafts(config, "--json", "--now", AFTER.isoformat())
        assert code == 0, err
        first = json.loads(out)[0]
        assert first["recipients"] == [{"name": "Bob Interviewer", "email": BOB}]
        assert (first["step"], first["state"], first["due"]) == (
            "thank_you", "awaiting_approval", "2026-12-04T16:00:00+00:00",
        )  # fmt: skip
        assert first["request_expires"] == (AFTER + timedelta(hours=72)).isoformat()
        code, out, err = drafts(config, "show", "2", "--now", AFTER.isoformat())
        assert code == 0, err
        assert out.startswith("Draft 2: Thank-you note to Alice Panel <alice@lumen.example>\n")
        assert "Subject:   Re: Interview for the Data Engineer role\n" in out
        assert "\n\nHi Alice,\n\nThank you for taking the time" in out
    code, _, err = drafts(config, "show", "9")
    assert code == 1 and "no draft with id 9" in err


def test_approving_at_the_terminal_spends_the_emailed_token_and_sends_once(
    config: Config, asked: Outgoing
) -> None:
    code, out, err = drafts(config, "approve", "2", "--now", AFTER.isoformat())
    assert code == 0, err
    assert out.startswith("draft 2 approved: it goes out at the daemon's next pass")
    with Store(config.state_dir) as store:
        assert state_of(store, 2) is State.APPROVED
        assert state_of(store, 1) is State.AWAITING_APPROVAL
        [(detail,)] = store.db.execute(
            "SELECT detail FROM audit_log WHERE event = 'answer at the terminal'"
        ).fetchall()
        assert detail == "draft 2 version 1: send"
        # The emailed request about it does nothing now; the one about Alice's still works.
        daemon = followups(config, store, asked, AFTER + timedelta(minutes=5))
        report = FollowUpReport()
        daemon.handle_reply(reply(asked, 2, "SKIP"), report)
        assert report.replies == ["skip: the approval token was already used"]
        assert state_of(store, 2) is State.APPROVED
        daemon.send_approved(FollowUpReport())
        daemon.send_approved(FollowUpReport())
        assert [to for to, _ in asked.mails if to != [CAROL]] == [[ALICE]]
        assert state_of(store, 2) is State.SENT


def test_an_approved_note_waits_for_the_daily_cap_and_for_a_look_at_what_they_wrote(
    tmp_path: Path, config: Config, asked: Outgoing
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(path.read_text() + "followup: {daily_send_cap: 1}\n")
    capped = load_config(path)
    with Store(config.state_dir) as store:
        for draft_id in (1, 2):
            assert "approved" in answer(capped, store, draft_id, Command(Action.SEND), AFTER)
        report = FollowUpReport()
        followups(capped, store, asked, AFTER).send_approved(report)
        assert [to for to, _ in asked.mails if to != [CAROL]] == [[BOB]]
        assert report.problems == ["daily send cap of 1 reached; the rest wait"]
        # Bob writes in the thread before the next day's pass: Alice's note is held and asked
        # about again.
        thread = store.interview(1).thread_id  # type: ignore[union-attr]
        with store.transaction() as db:
            store.add_message(db, base.message("bob-2@lumen.example", thread,
                                               AFTER + timedelta(hours=1)))  # fmt: skip
        followups(capped, store, asked, AFTER + timedelta(days=1, minutes=1)).send_approved(
            FollowUpReport()
        )
        assert state_of(store, 2) is State.AWAITING_APPROVAL
        assert "They wrote after this was drafted" in str(asked.mails[-1][1].get_body())
        assert [to for to, _ in asked.mails if to != [CAROL]] == [[BOB]]


def test_approving_with_a_text_file_sends_that_text_as_written(
    config: Config, asked: Outgoing, tmp_path: Path
) -> None:
    own = tmp_path / "note.txt"
    own.write_text("Hi Alice,\n\nThanks again, it was great.\n\nBest,\nCarol Candidate\n")
    code, _, err = drafts(config, "approve", "2", "--text-file", str(own))
    assert code == 0, err
    with Store(config.state_dir) as store:
        note = FollowUpRecords(store).note(2)
        assert note is not None and note.state is State.APPROVED
        [(detail,)] = store.db.execute(
            "SELECT detail FROM audit_log WHERE event = 'answer at the terminal'"
        ).fetchall()
        assert detail == "draft 2 version 1: send with your text"
    code, out, _ = drafts(config, "show", "2")
    assert out.endswith("\n\nHi Alice,\n\nThanks again, it was great.\n\nBest,\nCarol Candidate\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    code, _, err = drafts(config, "approve", "1", "--text-file", str(empty))
    assert code == 1 and "is empty" in err


def test_skip_and_snooze_as_by_reply(config: Config, asked: Outgoing) -> None:
    code, out, err = drafts(config, "skip", "1")
    assert (code, out.strip()) == (0, "draft 1 skipped: it will not be sent"), err
    code, out, err = drafts(config, "snooze", "2", "4h", "--now", AFTER.isoformat())
    assert code == 0, err
    assert out.strip() == "draft 2 snoozed: you are asked again by email from " + (
        "Thu 2026-12-03 23:00 CET"
    )
    code, _, err = drafts(config, "snooze", "2", "15d")
    assert code == 2 and "SNOOZE can be 1h to 14 days" in err
    with Store(config.state_dir) as store:
        assert state_of(store, 1) is State.SKIPPED
        assert "thank_you" in FollowUpRecords(store).done_steps(1)
        note = FollowUpRecords(store).note(2)
        assert note is not None and note.state is State.AWAITING_APPROVAL
        assert note.snoozed_until == AFTER + timedelta(hours=4) and note.expires_at is None
        followups(config, store, asked, AFTER + timedelta(hours=3)).propose(FollowUpReport())
        assert len(asked.mails) == 2  # not yet
        followups(config, store, asked, AFTER + timedelta(hours=5)).propose(FollowUpReport())
        assert len(asked.mails) == 3 and "Alice" in str(asked.mails[-1][1]["Subject"])


def test_answers_a_note_cannot_take_are_refused_and_change_nothing(
    config: Config, asked: Outgoing
) -> None:
    with Store(config.state_dir) as store:
        answer(config, store, 1, Command(Action.SKIP), AFTER)
        before = store.db.execute("SELECT COUNT(*) FROM approval").fetchone()[0]
        for draft_id, command, why in [
            (1, Command(Action.SEND), "draft 1 cannot be approved: it is skipped"),
            (1, Command(Action.SNOOZE, snooze=timedelta(hours=4)), "cannot be snoozed"),
            (2, Command(Action.SEND, send_to="x@y.example"), "only for a note with no address"),
            (9, Command(Action.SKIP), "no draft with id 9"),
        ]:
            with pytest.raises(Refused, match=why):
                answer(config, store, draft_id, command, AFTER)
        assert store.db.execute("SELECT COUNT(*) FROM approval").fetchone()[0] == before
        assert state_of(store, 2) is State.AWAITING_APPROVAL
    with Store(config.state_dir):  # the daemon runs
        code, _, err = drafts(config, "approve", "2")
    assert code == 1
    assert "already running" in err and "systemctl --user stop afterview" in err


def test_a_note_with_no_address_goes_where_approve_to_says(config: Config) -> None:
    with Store(config.state_dir) as store:
        with store.transaction() as db:  # added by hand, nobody named: no address known
            store.save_interview(db, Interview(None, Status.SCHEDULED, "Acme",
                                               start=PANEL_END - timedelta(hours=1)),
                                 AFTER.isoformat())  # fmt: skip
        followups(config, store, Outgoing(), AFTER).propose(FollowUpReport())
        with pytest.raises(Refused, match="no address yet"):
            answer(config, store, 1, Command(Action.SEND), AFTER)
    code, _, err = drafts(config, "approve", "1", "--to", "Dana@Acme.example")
    assert code == 0, err
    with Store(config.state_dir) as store:
        [entry] = FollowUpRecords(store).entries([State.APPROVED])
        assert entry.recipients == ("dana@acme.example",)


def test_approving_a_note_the_server_refused_sends_it_again(
    config: Config, asked: Outgoing
) -> None:
    with Store(config.state_dir) as store:
        records = FollowUpRecords(store)
        answer(config, store, 2, Command(Action.SEND), AFTER)
        [entry] = records.entries([State.APPROVED])
        assert records.move(entry.id, State.APPROVED, State.SENDING, phase=Phase.ENVELOPE)
        assert records.move(entry.id, State.SENDING, State.FAILED, detail="550 no such user")
        with pytest.raises(Refused, match="sends it again as it was"):
            answer(config, store, 2, Command(Action.SEND, text="Hi again"), AFTER)
        line = answer(config, store, 2, Command(Action.SEND), AFTER)
        assert line == "draft 2 approved again: it is sent again at the daemon's next pass"
        assert state_of(store, 2) is State.APPROVED


def test_an_interview_edit_points_at_the_notes_written_before_it(
    config: Config, asked: Outgoing
) -> None:
    result = afterview("--config", str(config.path), "interview", "edit", "1",
                       "--role", "Staff Data Engineer")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        f"draft {n} was written before: read it with `afterview drafts show {n}`; if it needs "
        "changing, approve your own text with --text-file"
        for n in (1, 2)
    ]
