"""Interview detection: one email or one calendar event in, a `Detection` out. No sockets."""

from daemon.detect.classify import classify_email
from daemon.detect.events import classify_calendar

__all__ = ["classify_calendar", "classify_email"]
