"""FETCH responses as imaplib hands them over, read by afterview's plain parser exactly as
imapclient's parser reads them (which still takes whatever the plain one does not read)."""

from __future__ import annotations

from typing import Any

import pytest
from imapclient.response_parser import parse_fetch_response

from daemon.mail.imap import _parse_fetch_plain, _Unexpected, parse_fetch, uid_set

HEADERS = b"BODY[HEADER.FIELDS (MESSAGE-ID DATE FROM)]"
RESPONSES: dict[str, list[Any]] = {
    "dovecot headers": [
        (b"1 (UID 11 RFC822.SIZE 2222 " + HEADERS + b" {23}", b"Message-ID: <a@b>\r\n\r\n\r\n"),
        b")",
        (b"2 (UID 12 RFC822.SIZE 18 " + HEADERS + b" {2}", b"\r\n"),
        b")",
    ],
    "gmail order and ids": [
        (
            b"7 (X-GM-THRID 1781234 X-GM-MSGID 1781235 UID 17 RFC822.SIZE 10 " + HEADERS + b" {5}",
            b"x\r\n\r\n",
        ),
        b")",
    ],
    "a partial body": [(b"3 (UID 13 BODY[]<0> {5}", b"Hello"), b")"],
    "two literals and flags after them": [
        (b"4 (UID 14 BODY[1] {3}", b"abc"),
        (b" BODY[2] {2}", b"de"),
        b" FLAGS (\\Seen $Label) MODSEQ (12345))",
    ],
    "NIL and a quoted string": [
        b"5 (UID 15 " + HEADERS + b" NIL)",
        b'6 (UID 16 BODY[1] "say \\"hi\\" \\\\ bye")',
    ],
    "an unsolicited update without a UID": [b"9 (FLAGS (\\Deleted))"],
    "two responses for one message": [
        b"8 (UID 18 FLAGS (\\Seen))",
        (b"8 (UID 18 RFC822.SIZE 3 BODY[]<0> {3}", b"abc"),
        b")",
    ],
    "nothing": [None],
}


def _imapclients(data: list[Any]) -> dict[int, dict[bytes, Any]]:
    return {key: dict(value) for key, value in parse_fetch_response(data, True, True).items()}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_plain_responses_read_as_imapclient_reads_them(name: str) -> None:
    data = RESPONSES[name]
    assert _parse_fetch_plain(data) == _imapclients(data)


def test_literals_and_numbers_come_out_as_they_should() -> None:
    found = parse_fetch(RESPONSES["gmail order and ids"])
    assert found == {
        17: {
            b"SEQ": 7,
            b"X-GM-THRID": 1781234,
            b"X-GM-MSGID": 1781235,
            b"RFC822.SIZE": 10,
            HEADERS: b"x\r\n\r\n",
        }
    }


def test_what_the_plain_parser_does_not_read_goes_to_imapclients() -> None:
    data: list[Any] = [
        b'3 (UID 13 ENVELOPE ("Thu, 19 Nov 2026 10:00:00 +0000" "Hi" NIL NIL NIL NIL NIL NIL '
        b'NIL "<a@b>"))'
    ]
    with pytest.raises(_Unexpected):
        _parse_fetch_plain(data)
    found = parse_fetch(data)
    assert set(found) == {13}
    assert found[13][b"ENVELOPE"].subject == b"Hi"


def test_uid_sets_are_written_as_runs() -> None:
    assert uid_set([5]) == "5"
    assert uid_set([3, 1, 2, 2]) == "1:3"
    assert uid_set([1, 2, 3, 7, 9, 10]) == "1:3,7,9:10"
