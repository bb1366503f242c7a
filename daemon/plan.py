"""Follow-up plans: for one interview, which note is due when. Pure: facts and `now` in, steps out.

The plan is recomputed from what is known each time, never stored as a schedule, so a
reschedule moves it and a reply or a cancellation stops it without any bookkeeping:
- thank-you: drafted `thank_you_delay` after the interview ends, due `thank_you_due` after it;
- first check-in: `check_in_after` (business days) after the thank-you went out, or the next
  business day after a decision date the employer named (when that is still ahead of the
  thank-you); second check-in `second_check_in_after` after the first; then the interview has
  gone quiet;
- an employer reply after the thank-you went out, a rejection or offer, or a cancellation stops
  what is left; messages before the thank-you (a "thanks for coming in") do not stop it;
- an invitation the user has not answered gets a reminder to the user, never a note to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from daemon.config import FollowUpPolicy
from daemon.durations import Duration
from daemon.interviews import Interview, Status

ASSUMED_LENGTH = timedelta(hours=1)  # when an interview's end is not stated
# A thank-you (or an invitation reminder) this long past its due time is not proposed: a first
# run that reads back 60 days must not ask about every interview of the last two months.
LATE_GRACE = timedelta(days=2)
CHECK_IN_TIME = time(9, 30)  # a check-in after a decision date goes out in the morning


class StepKind(StrEnum):
    THANK_YOU = "thank_you"
    CHECK_IN = "check_in"
    SECOND_CHECK_IN = "second_check_in"
    INVITATION_REMINDER = "invitation_reminder"  # to the user only


class StepState(StrEnum):
    WAITING = "waiting"  # not yet time to draft
    DUE = "due"  # draft it and ask the user now
    DONE = "done"  # it went out (or the user skipped it)
    MISSED = "missed"  # too late to be worth sending (an old interview found by the backfill)


@dataclass(frozen=True)
class Step:
    kind: StepKind
    draft_at: datetime
    due: datetime
    state: StepState


@dataclass(frozen=True)
class ThreadFacts:
    """What the plan needs to know about the interview's thread and afterview's own sends."""

    employer_wrote: tuple[datetime, ...] = ()  # human (not automatic) messages from their side
    user_wrote: tuple[datetime, ...] = ()  # messages the user sent in the thread
    outcome: str | None = None  # "rejection" or "offer" once one arrived
    decision_by: date | None = None  # "we'll be in touch by Friday"
    done: dict[StepKind, datetime] = field(default_factory=dict)  # sent or skipped, and when
    invited_at: datetime | None = None  # when the invitation arrived


@dataclass(frozen=True)
class FollowUpPlan:
    steps: tuple[Step, ...]
    stopped: str | None = None  # why nothing more will happen, or None while it runs
    gone_quiet: bool = False

    def due(self) -> list[Step]:
        return [s for s in self.steps if s.state is StepState.DUE]


@dataclass(frozen=True)
class Calendar:
    """Business days: a weekend and holidays, counted in the user's time zone."""

    zone: tzinfo
    weekend: tuple[int, ...] = (5, 6)
    holidays: tuple[date, ...] = ()

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def add(self, moment: datetime, duration: Duration) -> datetime:
        """`moment` plus a clock duration, or plus N business days at the same local time."""
        if not duration.business_days:
            return moment + duration.clock
        local = moment.astimezone(self.zone)
        day, left = local.date(), duration.business_days
        for _ in range(duration.business_days * 7 + 400):  # bounded even with odd weekends
            if left == 0:
                break
            day += timedelta(days=1)
            if self.is_business_day(day):
                left -= 1
        return datetime.combine(day, local.time(), self.zone)

    def next_business_day_after(self, day: date) -> date:
        following = day + timedelta(days=1)
        for _ in range(400):
            if self.is_business_day(following):
                return following
            following += timedelta(days=1)
        return following


def plan(
    interview: Interview, facts: ThreadFacts, policy: FollowUpPolicy, zone: tzinfo, now: datetime
) -> FollowUpPlan:
    calendar = Calendar(zone, policy.weekend, policy.holidays)
    if interview.status is Status.CANCELLED:
        return FollowUpPlan((), stopped="the interview was cancelled")
    if facts.outcome is not None:
        return FollowUpPlan((), stopped=f"a {facts.outcome} arrived")
    if interview.status is Status.INVITED or interview.start is None:
        return _invitation(facts, policy, now)
    end = interview.end or interview.start + ASSUMED_LENGTH
    thank_you_state = _state(StepKind.THANK_YOU, end + policy.thank_you_delay, facts, now)
    if thank_you_state is StepState.DUE and now > end + policy.thank_you_due + LATE_GRACE:
        thank_you_state = StepState.MISSED
    thank_you = Step(
        StepKind.THANK_YOU,
        draft_at=end + policy.thank_you_delay,
        due=end + policy.thank_you_due,
        state=thank_you_state,
    )
    steps = [thank_you]
    sent_thanks = facts.done.get(StepKind.THANK_YOU)
    if sent_thanks is None:
        return FollowUpPlan(tuple(steps))
    if _wrote_after(facts.employer_wrote, sent_thanks):
        return FollowUpPlan(tuple(steps), stopped="the employer replied")
    first_at = calendar.add(sent_thanks, policy.check_in_after)
    if facts.decision_by is not None:
        day = calendar.next_business_day_after(facts.decision_by)
        after_decision = datetime.combine(day, CHECK_IN_TIME, zone)
        # A date already past when the thank-you went out (an earlier round's, or a slow
        # thank-you) says nothing about when to ask: the usual wait holds, never "at once".
        if after_decision > sent_thanks:
            first_at = after_decision
    steps.append(
        Step(StepKind.CHECK_IN, first_at, first_at, _state(StepKind.CHECK_IN, first_at, facts, now))
    )
    sent_first = facts.done.get(StepKind.CHECK_IN)
    if sent_first is None:
        return FollowUpPlan(tuple(steps))
    second_at = calendar.add(sent_first, policy.second_check_in_after)
    steps.append(
        Step(
            StepKind.SECOND_CHECK_IN,
            second_at,
            second_at,
            _state(StepKind.SECOND_CHECK_IN, second_at, facts, now),
        )
    )
    sent_second = facts.done.get(StepKind.SECOND_CHECK_IN)
    if sent_second is None:
        return FollowUpPlan(tuple(steps))
    quiet_at = calendar.add(sent_second, policy.second_check_in_after)
    if now >= quiet_at:
        return FollowUpPlan(tuple(steps), stopped="no answer after two check-ins", gone_quiet=True)
    return FollowUpPlan(tuple(steps))


def _invitation(facts: ThreadFacts, policy: FollowUpPolicy, now: datetime) -> FollowUpPlan:
    if facts.invited_at is None:
        return FollowUpPlan((), stopped="no time yet, and no invitation date known")
    if _wrote_after(facts.user_wrote, facts.invited_at):
        return FollowUpPlan((), stopped="you answered the invitation")
    remind_at = facts.invited_at + policy.invitation_reminder_after
    state = _state(StepKind.INVITATION_REMINDER, remind_at, facts, now)
    if state is StepState.DUE and now > remind_at + LATE_GRACE:
        state = StepState.MISSED
    return FollowUpPlan((Step(StepKind.INVITATION_REMINDER, remind_at, remind_at, state),))


def _state(kind: StepKind, draft_at: datetime, facts: ThreadFacts, now: datetime) -> StepState:
    if kind in facts.done:
        return StepState.DONE
    return StepState.DUE if now >= draft_at else StepState.WAITING


def _wrote_after(times: Iterable[datetime], moment: datetime) -> bool:
    return any(t > moment for t in times)
