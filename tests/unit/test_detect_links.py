"""Meeting links: the host known by its domain, and the real link behind a mail scanner."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.detect import links

ZOOM = "https://zoom.us/j/5551234567?pwd=abc"


@pytest.mark.parametrize(
    "wrapped",
    [
        # Proofpoint URL Defense, the three formats.
        "https://urldefense.proofpoint.com/v1/url?u=https%3A%2F%2Fzoom.us%2Fj%2F5551234567%3Fpwd%3Dabc"
        "&k=abc&r=def&m=ghi&s=jkl",
        "https://urldefense.proofpoint.com/v2/url?u=https-3A__zoom.us_j_5551234567-3Fpwd-3Dabc"
        "&d=DwMFaQ&c=xyz&r=abc&m=def&s=ghi&e=",
        "https://urldefense.com/v3/__https://zoom.us/j/5551234567*pwd*abc__;Pz0!!ABC123!xyz$",
        "https://urldefense.com/v3/__https://zoom.us/j/5551234567**Awd*abc__;P3A9!!ABC!x$",
        # Outlook SafeLinks and a Google redirect stay unwrapped.
        "https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fzoom.us%2Fj%2F5551234567"
        "%3Fpwd%3Dabc&data=05%7C01",
        "https://www.google.com/url?q=https://zoom.us/j/5551234567?pwd%3Dabc&sa=D",
    ],
)
def test_scanner_wrappers_are_peeled(wrapped: str) -> None:
    assert links.unwrap(wrapped) == ZOOM
    assert links.meeting_url([wrapped]) == ZOOM


def test_mimecast_without_the_real_link_is_no_meeting_link() -> None:
    wrapped = "https://protect-eu.mimecast.com/s/AbCdEfGhIjK?domain=zoom.us"
    assert links.unwrap(wrapped) == wrapped
    assert links.meeting_url([wrapped]) is None


def test_mimecast_with_the_real_link_is_peeled() -> None:
    wrapped = "https://protect-us.mimecast.com/s/x?domain=zoom.us&url=https%3A%2F%2Fzoom.us%2Fj%2F5551234567%3Fpwd%3Dabc"
    assert links.unwrap(wrapped) == ZOOM


@pytest.mark.parametrize(
    "url",
    [
        "https://evil-zoom.us.example/j/5551234567",
        "https://zoom.us.evil.example/j/5551234567",
        "https://notwebex.com.example/meet/dana",
        "https://meet.google.com.evil.example/abc-defg-hij",
    ],
)
def test_a_lookalike_host_is_no_meeting(url: str) -> None:
    assert not links.is_meeting(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://acme.zoom.us/j/5551234567",
        "https://acme.webex.com/meet/dana",
        "https://meet.google.com/abc-defg-hij",
        "https://teams.microsoft.com/l/meetup-join/19%3ameeting",
        "https://jitsi.acme.example/InterviewDanaJordan",
    ],
)
def test_meeting_hosts(url: str) -> None:
    assert links.is_meeting(url)


ADDRESS_PARTS = st.sampled_from(
    [
        "dana",
        ".",
        "lee",
        "+",
        "-",
        "_",
        "@",
        "@@",
        "acme",
        "example",
        ".com",
        " ",
        "\n",
        "é",
        "ß",
        "3",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ADDRESS_PARTS, max_size=30))
def test_emails_in_finds_what_the_pattern_finds(parts: list[str]) -> None:
    text = "".join(parts)
    expected = [e.lower().rstrip(".") for e in links.EMAIL.findall(text)]
    assert links.emails_in(text) == expected
