"""What afterview's first scan is compared with: imapclient fetching only the header fields
afterview reads, imapclient fetching every message whole, and mbsync copying the folder to a
Maildir (the tool a user would otherwise run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import imapclient

from scanbench.seed import HEADERS_ITEM

POLICY_RC = Path("/usr/sbin/policy-rc.d")


@dataclass(frozen=True)
class Fetched:
    seconds: float
    messages: int
    payload_bytes: int


def fetch_all(connect: Callable[[], imapclient.IMAPClient], item: str, batch: int) -> Fetched:
    """Connect, EXAMINE INBOX, UID SEARCH ALL, FETCH `item` in batches, LOGOUT."""
    started = time.perf_counter()
    imap = connect()
    imap.select_folder("INBOX", readonly=True)
    uids = imap.search("ALL")
    key = item.replace(".PEEK", "").split("<")[0].encode()
    count = size = 0
    for start in range(0, len(uids), batch):
        response = imap.fetch(uids[start : start + batch], [item])
        for data in response.values():
            value = data.get(key)
            size += len(value) if value else 0
            count += 1
    imap.logout()
    return Fetched(time.perf_counter() - started, count, size)


def header_reference(connect: Callable[[], imapclient.IMAPClient], batch: int) -> Fetched:
    return fetch_all(connect, HEADERS_ITEM, batch)


def naive_whole(connect: Callable[[], imapclient.IMAPClient], batch: int) -> Fetched:
    return fetch_all(connect, "BODY.PEEK[]", batch)


def ensure_mbsync() -> str | None:
    """None when mbsync can run, else why not. As root, installs Debian's isync without
    letting apt start any service (a policy-rc.d that exits 101, as scripts/ensure-test-servers
    does for Dovecot)."""
    if shutil.which("mbsync"):
        return None
    if os.geteuid() != 0:
        return "mbsync is not installed (apt-get install isync needs root)"
    created = False
    if not POLICY_RC.exists():
        POLICY_RC.write_text("#!/bin/sh\nexit 101\n")
        POLICY_RC.chmod(0o755)
        created = True
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "isync"]
    try:
        result = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env, check=False)
            result = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    finally:
        if created:
            POLICY_RC.unlink()
    if shutil.which("mbsync"):
        return None
    tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
    return f"apt-get install isync failed: {tail[0]}"


def mbsync_version() -> str:
    result = subprocess.run(["mbsync", "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or "mbsync"


def mbsync(workdir: Path, port: int, user: str, password: str, ca_file: Path) -> Fetched:
    """mbsync pulling INBOX into an empty Maildir, with its default settings (fsync on)."""
    local = workdir / "maildir"
    local.mkdir(parents=True)
    config = workdir / "mbsyncrc"
    config.write_text(
        f"""IMAPAccount bench
Host localhost
Port {port}
User {user}
Pass {password}
SSLType IMAPS
CertificateFile {ca_file}

IMAPStore remote
Account bench

MaildirStore local
Path {local}/
Inbox {local}/INBOX

Channel bench
Far :remote:
Near :local:
Patterns INBOX
Sync Pull
Create Near
SyncState *
"""
    )
    config.chmod(0o600)
    started = time.perf_counter()
    result = subprocess.run(
        ["mbsync", "-c", str(config), "-q", "bench"], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"mbsync failed ({result.returncode}): {result.stderr.strip()}")
    files = list((local / "INBOX" / "cur").iterdir()) + list((local / "INBOX" / "new").iterdir())
    return Fetched(seconds, len(files), sum(f.stat().st_size for f in files))
