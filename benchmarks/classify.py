"""Detector speed: messages per second over the corpus and on a synthetic 20 KB message,
against a baseline that only parses the same bytes with the standard library's email
package (the floor any detector pays). Target: 500 messages/s on one core."""

from __future__ import annotations

import email
import email.policy
import sys
import time
from collections.abc import Callable
from pathlib import Path

from daemon.detect import classify_calendar, classify_email

TARGET_PER_SECOND = 500
ROOT = Path(__file__).resolve().parents[1]


def rate(function: Callable[[bytes], object], items: list[bytes], seconds: float = 2.0) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for item in items:
            function(item)
        done += len(items)
    return done / (time.perf_counter() - start)


def synthetic_message(size: int = 20_000) -> bytes:
    """A 20 KB confirmation that is all the sender's own text (no quoted history to skip):
    the details first, then long varied boilerplate, a signature with addresses, and a
    schedule table near the end. The worst case for the detector is text it must read."""
    opening = (
        "Hi Jordan,\n\nThank you for applying to the Platform Engineer role at Northwind "
        "Robotics. We'd like to confirm your interview on Thursday, December 3 at 3:00 PM ET "
        "with Dana Lee (Engineering Manager, dana.lee@northwind.example) and Sam Ortiz "
        "(Staff Engineer). Join: https://zoom.us/j/5551234567?pwd=abc123\n\n"
    )
    sentences = [
        "Northwind builds warehouse robots that work next to people, safely and all day long.",
        "Our teams in Boston, Berlin and Lisbon ship to customers in 14 countries.",
        "We offer 30 days of vacation, a learning budget of $2,000 and flexible hours.",
        "Every engineer joins an on-call rotation after their first three months with us.",
        "Our hiring process has four steps: a recruiter call, a technical screen, an onsite "
        "loop and a conversation with a founder.",
        "We value clear writing, kind reviews and shipping small changes often.",
        "If you need an accommodation for any part of the process, reply to this message.",
        "Please note that we never ask candidates for payment or bank details.",
    ]
    paragraphs, length, index = [], len(opening), 0
    while length < size - 1200:
        paragraph = " ".join(sentences[(index + k) % len(sentences)] for k in range(5))
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
        index += 3
    closing = (
        "\n\nYour schedule:\n 3:00 PM - 3:45 PM  Technical interview  Dana Lee\n"
        " 3:45 PM - 4:00 PM  Questions          Sam Ortiz\n\n"
        "Best,\nMaya Chen\nRecruiting Coordinator, Northwind Robotics\n"
        "maya@northwind.example | +1 617 555 0100\n"
    )
    text = opening + "\n\n".join(paragraphs) + closing
    return (
        "From: Maya Chen <maya@northwind.example>\r\nTo: jordan@mailbox.example\r\n"
        "Subject: Interview confirmation\r\nDate: Mon, 23 Nov 2026 10:00:00 -0500\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text
    ).encode()


def parse_only(raw: bytes) -> object:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]


def classify_any(raw: bytes) -> object:
    if raw.startswith(b"BEGIN:VCALENDAR"):
        return classify_calendar(raw)
    return classify_email(raw)


def main() -> int:
    corpus = [p.read_bytes() for p in sorted((ROOT / "tests" / "corpus").glob("*/*.eml"))]
    corpus += [p.read_bytes() for p in sorted((ROOT / "tests" / "corpus").glob("*/*.ics"))]
    emails = [raw for raw in corpus if not raw.startswith(b"BEGIN:VCALENDAR")]
    big = [synthetic_message()]
    failed = False
    for name, items in (("corpus", corpus), ("synthetic 20 KB", big)):
        ours = rate(classify_any, items)
        baseline = rate(parse_only, emails if name == "corpus" else big)
        print(
            f"{name}: afterview {ours:,.0f} msg/s; parse-only baseline {baseline:,.0f} msg/s; "
            f"ratio {baseline / ours:.2f}x slower than parsing alone "
            f"(target >= {TARGET_PER_SECOND} msg/s)"
        )
        failed = failed or ours < TARGET_PER_SECOND
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
