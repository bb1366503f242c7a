"""Detector speed: messages per second over the corpus and on a synthetic 20 KB message,
against a baseline that only parses the same bytes with the standard library's email
package (the floor any detector pays). Target: 500 messages/s on one core."""

from __future__ import annotations

import email
import email.policy
import functools
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import html2text

from daemon.detect import classify_calendar, classify_email

TARGET_PER_SECOND = 500
ROOT = Path(__file__).resolve().parents[1]
# The labelled sets the detector is scored on; a blind set being written stays unread.
CORPUS_SETS = ("positive", "negative", "heldout")

_STYLE = (
    '<style type="text/css">body{margin:0;padding:0;background:#f4f5f7}'
    "table{border-collapse:collapse}td{font-family:Helvetica,Arial,sans-serif;font-size:15px;"
    "line-height:22px;color:#1f2933}.button{background:#2563eb;color:#ffffff;border-radius:6px;"
    "padding:12px 20px;text-decoration:none}.muted{color:#6b7280;font-size:12px}"
    "@media only screen and (max-width:600px){.container{width:100%!important}}</style>"
)
_CELL = '<td style="padding:0 32px 16px 32px;font-family:Helvetica,Arial,sans-serif;color:#1f2933">'
_SENTENCES = (
    "Northwind builds warehouse robots that work next to people, safely and all day long.",
    "Our teams in Boston, Berlin and Lisbon ship to customers in 14 countries.",
    "We offer 30 days of vacation, a learning budget of $2,000 and flexible hours.",
    "Every engineer joins an on-call rotation after their first three months with us.",
    "Our hiring process has four steps: a recruiter call, a technical screen, an onsite "
    "loop and a conversation with a founder.",
    "We value clear writing, kind reviews and shipping small changes often.",
    "If you need an accommodation for any part of the process, reply to this message.",
    "Please note that we never ask candidates for payment or bank details.",
)


def _row(html: str) -> str:
    return f"<tr>{_CELL}{html}</td></tr>\n"


def _tracked(url: str, n: int) -> str:
    return f"https://click.mail.northwind.example/ls/click?upn=u{n:04d}a7Xk2{url[-12:]}Qz9"


def _html_body(size: int) -> str:
    """A recruiter's reply in a recruiting thread, built like real ATS and marketing mail:
    styled tables, tracked links, the confirmation and a schedule table, long company text
    that is the sender's own (the detector must read it), a signature with addresses, a
    newsletter footer, then the quoted thread with the earlier invitation (its own slots and
    names, which must not win over the confirmed ones). About `size` characters."""
    opening = [
        "<p>Hi Jordan,</p>",
        "<p>Thank you for applying to the <b>Platform Engineer</b> role at Northwind Robotics. "
        "We'd like to confirm your interview on <b>Thursday, December 3 at 3:00 PM ET</b> with "
        'Dana Lee (Engineering Manager, <a href="mailto:dana.lee@northwind.example">'
        "dana.lee@northwind.example</a>) and Sam Ortiz (Staff Engineer).</p>",
        f'<p><a class="button" href="{_tracked("https://zoom.us/j/5551234567?pwd=abc123", 1)}">'
        "Join the video call</a><br>Join: https://zoom.us/j/5551234567?pwd=abc123</p>",
        '<table width="100%" cellpadding="6"><tr><th align="left">Time</th><th align="left">'
        'Session</th><th align="left">Interviewer</th></tr>'
        "<tr><td>3:00 PM - 3:45 PM</td><td>Technical interview</td><td>Dana Lee</td></tr>"
        "<tr><td>3:45 PM - 4:00 PM</td><td>Questions</td><td>Sam Ortiz</td></tr></table>",
    ]
    signature = (
        '<table class="signature"><tr><td><img src="https://cdn.northwind.example/maya.png" '
        'width="48" height="48" alt=""></td><td><b>Maya Chen</b><br>Recruiting Coordinator, '
        'Northwind Robotics<br><a href="mailto:maya@northwind.example">maya@northwind.example'
        "</a> | +1 617 555 0100<br>200 Seaport Blvd, Boston, MA 02210</td></tr></table>"
    )
    footer = (
        '<p class="muted">You received this email because you applied for a role at Northwind '
        f'Robotics. <a href="{_tracked("https://northwind.example/privacy", 90)}">Privacy</a> | '
        f'<a href="{_tracked("https://northwind.example/unsubscribe", 91)}">Unsubscribe</a>'
        "<br>Northwind Robotics, Inc., 200 Seaport Blvd, Boston, MA 02210, USA</p>"
    )
    quoted = (
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Nov 23, 2026 at '
        "9:14 AM Maya Chen &lt;maya@northwind.example&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc solid;'
        'padding-left:1ex"><p>Hi Jordan,</p><p>We would love to set up an interview. Would any '
        "of these work for you: Tuesday, December 1 at 10:00 AM, Wednesday, December 2 at "
        "1:00 PM, or Friday, December 4 at 11:00 AM (all Eastern Time)? You would meet Priya "
        "Natarajan and Leo Park from the platform team.</p><p>Please send your availability "
        "by Friday.</p><p>Best,<br>Maya</p></blockquote></div>"
    )
    about, index, length = [], 0, 0
    fixed = sum(map(len, opening)) + len(signature) + len(footer) + len(quoted) + 1600
    while length < size - fixed:
        text = " ".join(_SENTENCES[(index + k) % len(_SENTENCES)] for k in range(4))
        link = _tracked(f"https://northwind.example/life/{index}", index + 10)
        row = _row(f'<p style="margin:0">{text} <a href="{link}">Read more</a></p>')
        about.append(row)
        length += len(row)
        index += 3
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{_STYLE}</head><body>'
        '<table class="container" width="600" align="center" cellpadding="0" cellspacing="0">'
        + _row('<img src="https://cdn.northwind.example/logo.png" alt="Northwind Robotics">')
        + "".join(_row(part) for part in opening)
        + _row("<h2>Life at Northwind</h2>")
        + "".join(about)
        + _row(f"<p>Best,</p>{signature}")
        + _row(footer)
        + "</table>"
        + quoted
        + "</body></html>"
    )


_HEADERS = (
    'From: "Maya Chen (Northwind Robotics)" <maya@northwind.example>\r\n'
    "To: Jordan Avery <jordan@mailbox.example>\r\n"
    "Subject: Re: Your interview with Northwind Robotics\r\n"
    "Date: Mon, 23 Nov 2026 10:00:00 -0500\r\nMIME-Version: 1.0\r\n"
)


def synthetic_message(size: int = 20_000, *, html_only: bool = False) -> bytes:
    """A 20 KB reply in a recruiting thread as mail programs and ATS platforms send it:
    multipart/alternative, the HTML newsletter-style body and the plain text made from it
    (the plain part is what is read; the HTML gives the links). `html_only`: the rarer mail
    with no plain part, whose HTML must be converted to be read."""
    if html_only:
        html = _html_body(size)
        return (_HEADERS + "Content-Type: text/html; charset=utf-8\r\n\r\n" + html).encode()
    html = _html_body(size * 7 // 12)
    converter = html2text.HTML2Text(bodywidth=0)
    converter.ignore_images = converter.ignore_tables = converter.ignore_emphasis = True
    plain = converter.handle(html)
    boundary = "=_northwind_7f3a"
    return (
        _HEADERS
        + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
        + f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{plain}\r\n"
        + f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
        + f"--{boundary}--\r\n"
    ).encode()


def rate(function: Callable[[bytes], object], items: list[bytes], seconds: float = 2.0) -> float:
    """Messages per second, the best of three rounds: what the machine does when nothing
    else takes the core (other processes only ever slow a round down). Each message is read
    as a new one: the detector's memos (names, addresses it has seen) are emptied first, so
    reading the same sample again gains nothing from the time before."""
    memos = _detector_memos()
    best = 0.0
    for _ in range(3):
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            for item in items:
                for memo in memos:
                    memo.cache_clear()
                function(item)
            done += len(items)
        best = max(best, done / (time.perf_counter() - start))
    return best


def _detector_memos() -> list[Any]:
    return [
        found
        for found in gc.get_objects()
        if isinstance(found, functools._lru_cache_wrapper)
        and getattr(found, "__module__", "").startswith("daemon.")
    ]


def parse_only(raw: bytes) -> object:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]


def classify_any(raw: bytes) -> object:
    if raw.startswith(b"BEGIN:VCALENDAR"):
        return classify_calendar(raw)
    return classify_email(raw)


def corpus() -> list[bytes]:
    folders = [ROOT / "tests" / "corpus" / name for name in CORPUS_SETS]
    files = sorted(p for folder in folders for p in folder.glob("*.eml"))
    files += sorted(p for folder in folders for p in folder.glob("*.ics"))
    return [p.read_bytes() for p in files]


def main() -> int:
    items = corpus()
    emails = [raw for raw in items if not raw.startswith(b"BEGIN:VCALENDAR")]
    big, html_only = synthetic_message(), synthetic_message(html_only=True)
    failed = False
    for name, sample, baseline_sample, target in (
        ("corpus", items, emails, TARGET_PER_SECOND),
        (f"synthetic {len(big) // 1000} KB", [big], [big], TARGET_PER_SECOND),
        # Shown, not held to the target: converting 20 KB of HTML alone costs about as much.
        (f"synthetic {len(html_only) // 1000} KB HTML only", [html_only], [html_only], 0),
    ):
        ours = rate(classify_any, sample)
        baseline = rate(parse_only, baseline_sample)
        bar = f"target >= {target} msg/s" if target else "no target"
        print(
            f"{name}: afterview {ours:,.0f} msg/s; parse-only baseline {baseline:,.0f} msg/s; "
            f"ratio {baseline / ours:.2f}x slower than parsing alone ({bar})"
        )
        failed = failed or ours < target
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
