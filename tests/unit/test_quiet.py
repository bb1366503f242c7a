"""Quiet threads: pure rules over plain thread views with a given `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from daemon.config import QuietPolicy
from daemon.durations import Duration
from daemon.model import Person
from daemon.plan import Calendar
from daemon.quiet import (
    Mark,
    MarkChanges,
    MessageView,
    QuietState,
    Rule,
    ThreadView,
    excluded,
    mark_changes,
    marks,
    no_reply,
    quiet_state,
    quiet_threads,
)

NY = ZoneInfo("America/New_York")
POLICY = QuietPolicy(
    quiet_after=Duration(business_days=5),
    owe_reply_after=Duration(clock=timedelta(days=2)),
    keyword="$FollowUp",
    flag=False,
    track_keyword="$Job",
)
# Thanksgiving and the day after are holidays; Saturday and Sunday the weekend.
CALENDAR = Calendar(NY, (5, 6), (date(2026, 11, 26), date(2026, 11, 27)))
THU = datetime(2026, 12, 3, 10, 0, tzinfo=NY)  # Thursday 3 Dec 2026, 10:00 EST
TUE = datetime(2026, 12, 1, 9, 0, tzinfo=NY)  # Tuesday 1 Dec 2026, 09:00 EST
SECOND = timedelta(seconds=1)


def mine(id: int, when: datetime, **fields: Any) -> MessageView:
    message = MessageView(
        id=id, date=when, from_me=True, sender="alex@home.example", sender_name="Alex"
    )
    return replace(message, **fields)


def theirs(id: int, when: datetime, **fields: Any) -> MessageView:
    message = MessageView(
        id=id,
        date=when,
        from_me=False,
        to_me=True,
        sender="dana@lumen.example",
        sender_name="Dana Lee",
    )
    return replace(message, **fields)


def thread(*messages: MessageView, **fields: Any) -> ThreadView:
    found = ThreadView(id=7, subject="Backend Engineer at Lumen", messages=messages, job=True)
    return replace(found, **fields)


def state(found: ThreadView, now: datetime, policy: QuietPolicy = POLICY) -> QuietState | None:
    return quiet_state(found, policy, CALENDAR, now)


# -- Waiting on them ----------------------------------------------------------------------------


def test_waiting_on_them_starts_exactly_five_business_days_after_the_users_message() -> None:
    found = thread(theirs(1, TUE), mine(2, THU))
    threshold = datetime(2026, 12, 10, 10, 0, tzinfo=NY)  # Thursday a week later
    assert state(found, threshold - SECOND) is None
    quiet = state(found, threshold)
    assert quiet is not None
    assert quiet.rule is Rule.WAITING_ON_THEM
    assert quiet.since == THU
    assert quiet.quiet_at == threshold
    assert quiet.mark_message == 2
    assert quiet.thread_id == 7
    assert quiet.subject == "Backend Engineer at Lumen"
    assert quiet.with_whom == Person("Dana Lee", "dana@lumen.example")
    assert quiet.reason == "you wrote last and nobody has answered in 5 business days"


def test_their_answer_clears_waiting_on_them_and_can_turn_it_round() -> None:
    answer = theirs(3, datetime(2026, 12, 10, 9, 0, tzinfo=NY))
    found = thread(mine(2, THU), answer)
    assert state(found, datetime(2026, 12, 10, 10, 0, tzinfo=NY)) is None
    later = state(found, datetime(2026, 12, 12, 9, 0, tzinfo=NY))
    assert later is not None
    assert later.rule is Rule.WAITING_ON_YOU
    assert later.since == answer.date
    assert later.mark_message == 3


def test_a_cold_application_with_no_answer_at_all_is_waiting_on_them() -> None:
    found = thread(mine(1, THU))
    quiet = state(found, THU + timedelta(days=30))
    assert quiet is not None and quiet.rule is Rule.WAITING_ON_THEM
    assert quiet.with_whom is None


# -- Waiting on you -----------------------------------------------------------------------------


def test_waiting_on_you_starts_exactly_two_days_after_their_message() -> None:
    found = thread(mine(1, TUE - timedelta(days=3)), theirs(2, TUE))
    threshold = TUE + timedelta(days=2)
    assert state(found, threshold - SECOND) is None
    quiet = state(found, threshold)
    assert quiet is not None
    assert quiet.rule is Rule.WAITING_ON_YOU
    assert quiet.since == TUE
    assert quiet.quiet_at == threshold
    assert quiet.mark_message == 2
    assert quiet.reason == "Dana Lee wrote to you and you have not answered in 2 days"


def test_the_users_answer_clears_waiting_on_you() -> None:
    found = thread(theirs(1, TUE), mine(2, TUE + timedelta(days=1)))
    assert state(found, TUE + timedelta(days=2)) is None


def test_waiting_on_you_needs_the_message_to_be_addressed_to_the_user() -> None:
    found = thread(theirs(1, TUE, to_me=False))  # a Bcc, or mail forwarded to the user
    assert state(found, TUE + timedelta(days=30)) is None


def test_owe_reply_after_is_clock_time_so_it_runs_over_a_weekend() -> None:
    friday = datetime(2026, 12, 4, 17, 0, tzinfo=NY)
    quiet = state(thread(theirs(1, friday)), datetime(2026, 12, 6, 17, 0, tzinfo=NY))
    assert quiet is not None and quiet.rule is Rule.WAITING_ON_YOU


def test_every_wait_is_configurable_either_way() -> None:
    policy = replace(
        POLICY,
        quiet_after=Duration(clock=timedelta(hours=36)),
        owe_reply_after=Duration(business_days=1),
    )
    sent = state(thread(mine(1, THU)), THU + timedelta(hours=36), policy)
    assert sent is not None and sent.reason.endswith("in 36 hours")
    assert state(thread(mine(1, THU)), THU + timedelta(hours=35), policy) is None
    friday = datetime(2026, 12, 4, 11, 0, tzinfo=NY)
    owed = thread(theirs(1, friday))
    assert state(owed, datetime(2026, 12, 7, 10, 59, tzinfo=NY), policy) is None
    monday = state(owed, datetime(2026, 12, 7, 11, 0, tzinfo=NY), policy)
    assert monday is not None and monday.reason.endswith("in 1 business day")


# -- Business days ------------------------------------------------------------------------------


def test_business_days_skip_the_weekend() -> None:
    friday = datetime(2026, 12, 4, 16, 0, tzinfo=NY)
    quiet = state(thread(mine(1, friday)), datetime(2026, 12, 11, 16, 0, tzinfo=NY))
    assert quiet is not None
    assert quiet.quiet_at == datetime(2026, 12, 11, 16, 0, tzinfo=NY)  # Friday, not Wednesday
    assert state(thread(mine(1, friday)), datetime(2026, 12, 10, 16, 0, tzinfo=NY)) is None


def test_business_days_skip_holidays() -> None:
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
    # Tue 24, Wed 25, (Thanksgiving, the Friday, the weekend), Mon 30, Tue 1, Wed 2 Dec.
    expected = datetime(2026, 12, 2, 10, 0, tzinfo=NY)
    assert state(thread(mine(1, monday)), expected - SECOND) is None
    quiet = state(thread(mine(1, monday)), expected)
    assert quiet is not None and quiet.quiet_at == expected


def test_business_days_keep_the_local_time_across_the_end_of_daylight_saving() -> None:
    wednesday = datetime(2026, 10, 28, 10, 0, tzinfo=NY)  # 10:00 EDT, 14:00 UTC
    expected = datetime(2026, 11, 4, 10, 0, tzinfo=NY)  # 10:00 EST, 15:00 UTC
    assert expected.astimezone(UTC).hour == 15
    # Seven days of UTC would say 14:00 UTC (09:00 local): still not quiet then.
    assert state(thread(mine(1, wednesday)), datetime(2026, 11, 4, 14, 30, tzinfo=UTC)) is None
    quiet = state(thread(mine(1, wednesday)), datetime(2026, 11, 4, 15, 0, tzinfo=UTC))
    assert quiet is not None and quiet.quiet_at == expected


def test_clock_waits_are_elapsed_time_across_a_dst_change() -> None:
    saturday = datetime(2026, 10, 31, 12, 0, tzinfo=NY)  # 12:00 EDT
    # 48 hours later is 11:00 EST on Monday, whatever tzinfo the message's date carries.
    monday = datetime(2026, 11, 2, 11, 0, tzinfo=NY)
    for date_as_given in (saturday, saturday.astimezone(UTC)):
        assert state(thread(theirs(1, date_as_given)), monday - SECOND) is None
        quiet = state(thread(theirs(1, date_as_given)), monday)
        assert quiet is not None and quiet.quiet_at == monday


def test_business_days_are_counted_in_the_users_zone_not_in_utc() -> None:
    # Friday 22:00 in New York is already Saturday in UTC.
    friday_night = datetime(2026, 12, 4, 22, 0, tzinfo=NY)
    expected = datetime(2026, 12, 11, 22, 0, tzinfo=NY)
    assert state(thread(mine(1, friday_night.astimezone(UTC))), expected - SECOND) is None
    quiet = state(thread(mine(1, friday_night.astimezone(UTC))), expected)
    assert quiet is not None and quiet.quiet_at == expected


# -- Automatic mail -----------------------------------------------------------------------------


def test_an_out_of_office_is_not_an_answer_but_carries_the_mark() -> None:
    away = theirs(3, THU + timedelta(minutes=5), automatic=True)
    found = thread(theirs(1, TUE), mine(2, THU), away)
    quiet = state(found, datetime(2026, 12, 10, 10, 0, tzinfo=NY))
    assert quiet is not None
    assert quiet.rule is Rule.WAITING_ON_THEM
    assert quiet.since == THU
    assert quiet.mark_message == 3  # the thread's latest message, what the client shows on top


def test_a_thread_answered_only_by_an_out_of_office_still_counts() -> None:
    found = thread(mine(1, THU), theirs(2, THU + timedelta(minutes=1), automatic=True))
    assert excluded(found, POLICY) is None
    assert state(found, THU + timedelta(days=30)) is not None


def test_an_automatic_message_from_them_owes_nothing() -> None:
    found = thread(mine(1, TUE), theirs(2, THU, automatic=True))
    assert state(found, THU + timedelta(days=3)) is None  # owes nothing, and too soon for them
    quiet = state(found, datetime(2026, 12, 8, 9, 0, tzinfo=NY))
    assert quiet is not None and quiet.rule is Rule.WAITING_ON_THEM
    ats = thread(
        mine(1, TUE),
        theirs(2, THU, sender="no-reply@greenhouse.example", sender_name="Lumen via ATS"),
    )
    assert state(ats, THU + timedelta(days=2)) is None  # not waiting on you; too soon for them


def test_an_ats_notification_after_the_users_message_is_not_an_answer() -> None:
    notice = theirs(3, THU + timedelta(days=1), sender="notifications@lever.example")
    found = thread(theirs(1, TUE), mine(2, THU), notice)
    quiet = state(found, datetime(2026, 12, 10, 10, 0, tzinfo=NY))
    assert quiet is not None and quiet.rule is Rule.WAITING_ON_THEM
    assert quiet.with_whom == Person("Dana Lee", "dana@lumen.example")


def test_the_users_own_autoresponder_does_not_settle_what_they_owe() -> None:
    found = thread(theirs(1, TUE), mine(2, TUE + timedelta(minutes=1), automatic=True))
    quiet = state(found, TUE + timedelta(days=2))
    assert quiet is not None and quiet.rule is Rule.WAITING_ON_YOU
    assert quiet.mark_message == 2


def test_afterviews_own_mail_is_left_out_entirely() -> None:
    own = mine(3, THU + timedelta(hours=1), afterview=True)
    quiet = state(thread(mine(2, THU), own), datetime(2026, 12, 10, 10, 0, tzinfo=NY))
    assert quiet is not None and quiet.mark_message == 2


def test_a_thread_of_machines_only_is_never_quiet() -> None:
    found = thread(theirs(1, TUE, automatic=True, sender="no-reply@ats.example"))
    assert state(found, TUE + timedelta(days=60)) is None


def test_no_reply_addresses() -> None:
    for address in (
        "no-reply@ats.example",
        "noreply@x.example",
        "do_not_reply@x.example",
        "jobs-noreply@x.example",
        "notifications@lever.example",
        "MAILER-DAEMON@mx.example",
    ):
        assert no_reply(address), address
    for address in ("dana@lumen.example", "careers@lumen.example", "nora.reply@x.example", ""):
        assert not no_reply(address), address


# -- Which threads count ------------------------------------------------------------------------


def test_a_newsletter_thread_is_never_quiet_even_when_the_user_answered_it() -> None:
    letter = theirs(1, TUE, automatic=True, list_headers=True, sender="news@jobs.example")
    found = thread(letter, mine(2, TUE + timedelta(hours=1)))
    assert excluded(found, POLICY) == "a mailing list or newsletter"
    assert state(found, TUE + timedelta(days=60)) is None
    assert state(thread(letter), TUE + timedelta(days=60)) is None


def test_a_list_message_is_never_an_answer_nor_a_debt() -> None:
    # list_headers alone (the adapter did not also say automatic) is enough.
    post = theirs(3, THU + timedelta(hours=1), list_headers=True)
    found = thread(theirs(1, TUE), mine(2, THU), post)
    quiet = state(found, datetime(2026, 12, 10, 10, 0, tzinfo=NY))
    assert quiet is not None and quiet.rule is Rule.WAITING_ON_THEM


def test_answering_a_no_reply_robot_is_not_waiting_on_anyone() -> None:
    robot = theirs(1, TUE, sender="no-reply@myworkday.example")
    found = thread(robot, mine(2, TUE + timedelta(hours=1)))
    assert excluded(found, POLICY) == "only automated senders on the other side"
    assert state(found, TUE + timedelta(days=60)) is None


def test_a_person_writing_in_an_ats_thread_makes_it_count() -> None:
    robot = theirs(1, TUE - timedelta(days=5), sender="no-reply@ats.example", list_headers=True)
    found = thread(robot, theirs(2, TUE))
    assert excluded(found, POLICY) is None
    quiet = state(found, TUE + timedelta(days=2))
    assert quiet is not None and quiet.rule is Rule.WAITING_ON_YOU


def test_a_muted_thread_is_never_quiet() -> None:
    found = thread(mine(1, THU), muted=True)
    assert excluded(found, POLICY) == "muted"
    assert state(found, THU + timedelta(days=60)) is None
    assert state(thread(theirs(1, TUE), muted=True), TUE + timedelta(days=60)) is None


def test_only_job_threads_count() -> None:
    later = THU + timedelta(days=60)
    assert state(thread(mine(1, THU), job=False), later) is None
    assert excluded(thread(mine(1, THU), job=False), POLICY) == "not about a job"
    assert state(thread(mine(1, THU), job=False, has_interview=True), later) is not None


def test_an_applicant_tracking_sender_makes_a_thread_count() -> None:
    later = TUE + timedelta(days=30)
    recruiter = theirs(1, TUE, sender="jane.doe@hire.lever.co", sender_name="Jane Doe")
    quiet = state(thread(recruiter, job=False), later)
    assert quiet is not None and quiet.rule is Rule.WAITING_ON_YOU
    # The user's own address never makes a thread about a job.
    assert state(thread(mine(1, THU, sender="me@greenhouse.io"), job=False), later) is None


def test_the_users_keyword_makes_a_thread_count() -> None:
    later = THU + timedelta(days=60)
    tagged = thread(mine(1, THU, keywords=frozenset({"$job"})), job=False)
    assert state(tagged, later) is not None  # IMAP keywords match without regard to case
    assert state(tagged, later, replace(POLICY, track_keyword=None)) is None
    other = thread(mine(1, THU, keywords=frozenset({"$Other"})), job=False)
    assert state(other, later) is None


def test_an_empty_thread_is_not_quiet() -> None:
    assert state(thread(), THU) is None


def test_the_order_messages_come_in_does_not_matter() -> None:
    now = datetime(2026, 12, 10, 10, 0, tzinfo=NY)
    ordered = state(thread(theirs(1, TUE), mine(2, THU)), now)
    reversed_ = state(thread(mine(2, THU), theirs(1, TUE)), now)
    assert ordered == reversed_ and ordered is not None


def test_quiet_threads_lists_waiting_on_you_first_then_the_longest_wait() -> None:
    now = datetime(2026, 12, 20, 12, 0, tzinfo=NY)
    found = quiet_threads(
        [
            thread(mine(1, THU), id=1),
            thread(theirs(2, THU), id=2),
            thread(mine(3, TUE), id=3),
            thread(theirs(4, TUE), id=4),
            thread(mine(5, THU), id=5, muted=True),
            thread(mine(6, THU), id=6, job=False),
        ],
        POLICY,
        CALENDAR,
        now,
    )
    assert [(s.thread_id, s.rule) for s in found] == [
        (4, Rule.WAITING_ON_YOU),
        (2, Rule.WAITING_ON_YOU),
        (3, Rule.WAITING_ON_THEM),
        (1, Rule.WAITING_ON_THEM),
    ]


# -- Marks --------------------------------------------------------------------------------------


def quiet(thread_id: int, message: int) -> QuietState:
    return QuietState(
        thread_id=thread_id,
        rule=Rule.WAITING_ON_THEM,
        since=THU,
        quiet_at=THU,
        mark_message=message,
        subject="s",
        with_whom=None,
        company=None,
        reason="r",
    )


def test_mark_changes_touch_only_what_changed() -> None:
    previous = {1: 10, 2: 20, 3: 30}
    states = [quiet(1, 10), quiet(2, 21), quiet(4, 40)]
    changes = mark_changes(previous, states)
    assert changes == MarkChanges(
        add=(Mark(2, 21), Mark(4, 40)),
        remove=(Mark(2, 20), Mark(3, 30)),
    )
    assert marks(states) == {1: 10, 2: 21, 4: 40}


def test_nothing_changes_when_nothing_moved() -> None:
    assert mark_changes({1: 10}, [quiet(1, 10)]) == MarkChanges()
    assert mark_changes({}, []) == MarkChanges()


def test_everything_is_removed_when_nothing_is_quiet_any_more() -> None:
    assert mark_changes({1: 10, 2: 20}, []) == MarkChanges(remove=(Mark(1, 10), Mark(2, 20)))


def test_a_merged_thread_keeps_its_marked_message_untouched() -> None:
    # Threads 5 and 6 merged into 5: the message keeps its keyword, nothing is set or cleared.
    assert mark_changes({6: 50}, [quiet(5, 50)]) == MarkChanges()
    # A message recorded under two old threads is cleared once.
    assert mark_changes({5: 50, 6: 50}, []) == MarkChanges(remove=(Mark(5, 50),))


def test_a_new_message_clears_the_state_and_its_mark() -> None:
    sent = thread(mine(1, THU))
    week_later = datetime(2026, 12, 10, 10, 0, tzinfo=NY)
    first = quiet_threads([sent], POLICY, CALENDAR, week_later)
    changes = mark_changes({}, first)
    assert changes == MarkChanges(add=(Mark(7, 1),))
    answered = thread(mine(1, THU), theirs(2, week_later + timedelta(hours=1)))
    second = quiet_threads([answered], POLICY, CALENDAR, week_later + timedelta(hours=2))
    assert second == []
    assert mark_changes(marks(first), second) == MarkChanges(remove=(Mark(7, 1),))
    # Two days later it is the user who owes a reply: the mark comes back on their message.
    third = quiet_threads([answered], POLICY, CALENDAR, week_later + timedelta(days=2, hours=1))
    assert [s.rule for s in third] == [Rule.WAITING_ON_YOU]
    assert mark_changes(marks(second), third) == MarkChanges(add=(Mark(7, 2),))
