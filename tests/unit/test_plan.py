"""Follow-up plans: pure decisions with a given `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from daemon.config import FollowUpPolicy
from daemon.durations import Duration
from daemon.interviews import Interview, Status
from daemon.plan import Calendar, StepKind, StepState, ThreadFacts, plan

BERLIN = ZoneInfo("Europe/Berlin")
POLICY = FollowUpPolicy(
    thank_you_delay=timedelta(hours=1),
    thank_you_due=timedelta(hours=24),
    thank_you_to="each",
    check_in_after=Duration(business_days=5),
    second_check_in_after=Duration(business_days=7),
    invitation_reminder_after=timedelta(hours=24),
    daily_send_cap=20,
    weekend=(5, 6),
    holidays=(date(2026, 12, 25),),
    templates_dir=None,
)
# Thursday 3 Dec 2026, 15:00-16:00 Berlin.
START = datetime(2026, 12, 3, 15, 0, tzinfo=BERLIN)
INTERVIEW = Interview(id=1, status=Status.SCHEDULED, start=START, end=START + timedelta(hours=1))


def kinds_and_states(
    interview: Interview, facts: ThreadFacts, now: datetime
) -> list[tuple[str, str]]:
    found = plan(interview, facts, POLICY, BERLIN, now)
    return [(s.kind.value, s.state.value) for s in found.steps]


def test_thank_you_waits_for_the_end_plus_the_delay() -> None:
    before = START + timedelta(hours=1, minutes=59)
    assert kinds_and_states(INTERVIEW, ThreadFacts(), before) == [("thank_you", "waiting")]
    after = START + timedelta(hours=2)
    [step] = plan(INTERVIEW, ThreadFacts(), POLICY, BERLIN, after).due()
    assert step.kind is StepKind.THANK_YOU
    assert step.due == START + timedelta(hours=25)


def test_without_a_stated_end_an_hour_is_assumed() -> None:
    found = plan(replace(INTERVIEW, end=None), ThreadFacts(), POLICY, BERLIN, START)
    assert found.steps[0].draft_at == START + timedelta(hours=2)


def test_a_reschedule_moves_the_plan() -> None:
    moved = replace(
        INTERVIEW, start=START + timedelta(days=7), end=START + timedelta(days=7, hours=1)
    )
    found = plan(moved, ThreadFacts(), POLICY, BERLIN, START + timedelta(days=1))
    assert found.steps[0].state is StepState.WAITING
    assert found.steps[0].draft_at == START + timedelta(days=7, hours=2)


def test_check_in_five_business_days_after_the_thank_you_skips_weekends() -> None:
    sent = datetime(2026, 12, 3, 18, 0, tzinfo=BERLIN)  # Thursday
    facts = ThreadFacts(done={StepKind.THANK_YOU: sent})
    found = plan(INTERVIEW, facts, POLICY, BERLIN, sent)
    check_in = found.steps[1]
    assert check_in.kind is StepKind.CHECK_IN
    assert check_in.draft_at == datetime(2026, 12, 10, 18, 0, tzinfo=BERLIN)  # next Thursday


def test_holidays_are_not_business_days() -> None:
    calendar = Calendar(BERLIN, (5, 6), (date(2026, 12, 25),))
    thursday = datetime(2026, 12, 24, 10, 0, tzinfo=BERLIN)
    assert calendar.add(thursday, Duration(business_days=1)) == datetime(
        2026, 12, 28, 10, 0, tzinfo=BERLIN
    )


def test_a_named_decision_date_sets_the_first_check_in() -> None:
    sent = datetime(2026, 12, 3, 18, 0, tzinfo=BERLIN)
    facts = ThreadFacts(done={StepKind.THANK_YOU: sent}, decision_by=date(2026, 12, 4))  # Friday
    found = plan(INTERVIEW, facts, POLICY, BERLIN, sent)
    assert found.steps[1].draft_at == datetime(2026, 12, 7, 9, 30, tzinfo=BERLIN)  # Monday


def test_a_decision_date_later_than_the_usual_wait_is_honoured() -> None:
    sent = datetime(2026, 12, 3, 18, 0, tzinfo=BERLIN)
    facts = ThreadFacts(done={StepKind.THANK_YOU: sent}, decision_by=date(2026, 12, 24))
    found = plan(INTERVIEW, facts, POLICY, BERLIN, sent)
    # Thursday 24 Dec; Friday is a holiday here, then the weekend.
    assert found.steps[1].draft_at == datetime(2026, 12, 28, 9, 30, tzinfo=BERLIN)
    assert found.steps[1].state is StepState.WAITING


def test_a_decision_date_already_past_when_the_thank_you_went_out_is_harmless() -> None:
    sent = datetime(2026, 12, 3, 18, 0, tzinfo=BERLIN)  # Thursday
    usual = datetime(2026, 12, 10, 18, 0, tzinfo=BERLIN)
    for stale in (date(2026, 11, 20), date(2026, 12, 2)):  # an earlier round's; the day before
        facts = ThreadFacts(done={StepKind.THANK_YOU: sent}, decision_by=stale)
        found = plan(INTERVIEW, facts, POLICY, BERLIN, sent + timedelta(minutes=1))
        assert found.steps[1].draft_at == usual
        assert found.due() == []  # never a check-in right behind the thank-you


def test_a_decision_date_does_not_outlast_an_employer_reply() -> None:
    sent = datetime(2026, 12, 3, 18, 0, tzinfo=BERLIN)
    facts = ThreadFacts(
        done={StepKind.THANK_YOU: sent},
        decision_by=date(2026, 12, 4),
        employer_wrote=(sent + timedelta(days=2),),
    )
    found = plan(INTERVIEW, facts, POLICY, BERLIN, sent + timedelta(days=5))
    assert found.stopped == "the employer replied" and found.due() == []


def test_an_employer_reply_after_the_thank_you_stops_the_plan() -> None:
    sent = datetime(2026, 12, 3, 18, 0, tzinfo=BERLIN)
    facts = ThreadFacts(done={StepKind.THANK_YOU: sent}, employer_wrote=(sent + timedelta(days=1),))
    found = plan(INTERVIEW, facts, POLICY, BERLIN, sent + timedelta(days=9))
    assert found.stopped == "the employer replied"
    assert [s.kind for s in found.steps] == [StepKind.THANK_YOU]


def test_a_message_before_the_thank_you_does_not_stop_it() -> None:
    facts = ThreadFacts(employer_wrote=(START + timedelta(hours=1, minutes=30),))
    found = plan(INTERVIEW, facts, POLICY, BERLIN, START + timedelta(hours=3))
    assert found.stopped is None and found.due()[0].kind is StepKind.THANK_YOU


def test_outcomes_and_cancellations_stop_everything() -> None:
    assert plan(INTERVIEW, ThreadFacts(outcome="rejection"), POLICY, BERLIN, START).stopped
    cancelled = replace(INTERVIEW, status=Status.CANCELLED)
    assert plan(cancelled, ThreadFacts(), POLICY, BERLIN, START).steps == ()


def test_two_check_ins_then_gone_quiet() -> None:
    thanks = datetime(2026, 12, 3, 18, 0, tzinfo=BERLIN)
    first = datetime(2026, 12, 10, 18, 0, tzinfo=BERLIN)
    second = datetime(2026, 12, 21, 18, 0, tzinfo=BERLIN)
    done = {StepKind.THANK_YOU: thanks, StepKind.CHECK_IN: first}
    found = plan(INTERVIEW, ThreadFacts(done=done), POLICY, BERLIN, first)
    assert found.steps[2].kind is StepKind.SECOND_CHECK_IN
    assert found.steps[2].draft_at == datetime(2026, 12, 21, 18, 0, tzinfo=BERLIN)
    done[StepKind.SECOND_CHECK_IN] = second
    later = plan(INTERVIEW, ThreadFacts(done=done), POLICY, BERLIN, second + timedelta(days=30))
    assert later.gone_quiet and later.stopped


def test_an_unanswered_invitation_becomes_a_reminder_to_the_user() -> None:
    invited = Interview(id=2, status=Status.INVITED)
    arrived = datetime(2026, 12, 1, 9, 0, tzinfo=BERLIN)
    facts = ThreadFacts(invited_at=arrived)
    assert kinds_and_states(invited, facts, arrived + timedelta(hours=23)) == [
        ("invitation_reminder", "waiting")
    ]
    assert kinds_and_states(invited, facts, arrived + timedelta(hours=24)) == [
        ("invitation_reminder", "due")
    ]
    answered = replace(facts, user_wrote=(arrived + timedelta(hours=2),))
    assert plan(invited, answered, POLICY, BERLIN, arrived + timedelta(days=2)).steps == ()


def test_an_old_unanswered_invitation_found_by_the_backfill_gets_no_reminder() -> None:
    invited = Interview(id=2, status=Status.INVITED)
    arrived = datetime(2026, 12, 1, 9, 0, tzinfo=BERLIN)
    facts = ThreadFacts(invited_at=arrived)
    assert kinds_and_states(invited, facts, arrived + timedelta(days=3)) == [
        ("invitation_reminder", "due")
    ]
    assert kinds_and_states(invited, facts, arrived + timedelta(days=20)) == [
        ("invitation_reminder", "missed")
    ]


def test_a_sent_reminder_is_done() -> None:
    invited = Interview(id=2, status=Status.INVITED)
    arrived = datetime(2026, 12, 1, 9, 0, tzinfo=BERLIN)
    reminded = arrived + timedelta(hours=25)
    facts = ThreadFacts(invited_at=arrived, done={StepKind.INVITATION_REMINDER: reminded})
    assert plan(invited, facts, POLICY, BERLIN, reminded + timedelta(hours=1)).due() == []


def test_an_old_interview_found_by_the_backfill_gets_no_thank_you() -> None:
    on_time = START + timedelta(days=3)  # due a day after the end, two days' grace
    assert kinds_and_states(INTERVIEW, ThreadFacts(), on_time) == [("thank_you", "due")]
    weeks_later = START + timedelta(days=20)
    assert kinds_and_states(INTERVIEW, ThreadFacts(), weeks_later) == [("thank_you", "missed")]
    assert plan(INTERVIEW, ThreadFacts(), POLICY, BERLIN, weeks_later).due() == []
