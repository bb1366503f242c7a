"""The pure parts of marking a quiet thread: which flags a folder takes, whose \\Flagged it is."""

from __future__ import annotations

import pytest

from daemon.mail.imap import (
    MarkFlags,
    check_keyword,
    choose_mark_flags,
    not_flagged,
    uid_batches,
)
from tests.harness.imap_relay import without_wildcard

SYSTEM = (b"\\Answered", b"\\Flagged", b"\\Deleted", b"\\Seen", b"\\Draft")


def test_a_folder_that_creates_keywords_gets_the_keyword() -> None:
    chosen = choose_mark_flags((*SYSTEM, b"\\*"), "$FollowUp", flag=False)
    assert chosen == MarkFlags("$FollowUp", flagged=False, fell_back=False)


def test_flag_adds_flagged_to_the_keyword() -> None:
    chosen = choose_mark_flags((*SYSTEM, b"\\*"), "$FollowUp", flag=True)
    assert chosen == MarkFlags("$FollowUp", flagged=True, fell_back=False)


def test_a_keyword_the_folder_already_knows_is_used_without_wildcard() -> None:
    chosen = choose_mark_flags((*SYSTEM, b"$followup"), "$FollowUp", flag=False)
    assert chosen == MarkFlags("$FollowUp", flagged=False, fell_back=False)


def test_no_new_keywords_falls_back_to_flagged() -> None:
    chosen = choose_mark_flags((*SYSTEM, b"$Junk"), "$FollowUp", flag=False)
    assert chosen == MarkFlags(None, flagged=True, fell_back=True)


def test_no_permanentflags_at_all_means_everything_is_permanent() -> None:
    assert choose_mark_flags(None, "$FollowUp", flag=True) == MarkFlags(
        "$FollowUp", flagged=True, fell_back=False
    )


def test_a_folder_that_stores_nothing_gives_no_choice() -> None:
    assert choose_mark_flags((), "$FollowUp", flag=True) is None  # read-only
    assert choose_mark_flags((b"\\Seen", b"\\Deleted"), "$FollowUp", flag=False) is None


def test_flagged_is_skipped_where_it_is_not_permanent() -> None:
    chosen = choose_mark_flags((b"\\Seen", b"\\*"), "$FollowUp", flag=True)
    assert chosen == MarkFlags("$FollowUp", flagged=False, fell_back=False)


def test_only_existing_unflagged_messages_become_ours() -> None:
    found = {
        1: (b"\\Seen", b"\\Flagged"),
        2: (b"\\Seen",),
        3: (),
        4: (b"\\FLAGGED",),
        99: (),  # an unsolicited answer for a UID nobody asked about
    }
    assert not_flagged([1, 2, 3, 4, 5], found) == [2, 3]


def test_uid_batches_are_sorted_deduplicated_and_bounded() -> None:
    assert uid_batches([5, 3, 3, 1, 2], size=2) == [[1, 2], [3, 5]]
    assert uid_batches([]) == []
    assert [len(batch) for batch in uid_batches(range(1, 1201))] == [500, 500, 200]


@pytest.mark.parametrize("keyword", ["$FollowUp", "Waiting", "$Label1", "follow-up.2"])
def test_keywords_that_are_atoms_are_accepted(keyword: str) -> None:
    check_keyword(keyword)


@pytest.mark.parametrize(
    "keyword", ["", "\\Flagged", "two words", "par(en)", 'quo"te', "star*", "brack]", "é"]
)
def test_keywords_that_are_not_atoms_are_refused(keyword: str) -> None:
    with pytest.raises(ValueError, match="not an IMAP keyword"):
        check_keyword(keyword)


def test_the_relay_drops_only_the_wildcard_of_permanentflags() -> None:
    line = b"* OK [PERMANENTFLAGS (\\Answered \\Flagged $Junk \\*)] Flags permitted.\r\n"
    assert without_wildcard(line) == (
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged $Junk)] Flags permitted.\r\n"
    )
    assert (
        without_wildcard(b"* OK [PERMANENTFLAGS (\\*)] x\r\n") == b"* OK [PERMANENTFLAGS ()] x\r\n"
    )
    other = b"* FLAGS (\\Answered \\*)\r\n"
    assert without_wildcard(other) == other
