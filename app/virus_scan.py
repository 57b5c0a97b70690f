"""The virus-scan hook: every file a resident sends is streamed to ClamAV's clamd (INSTREAM) when
``ENDORRIN_CLAMD_URL`` is set (``tcp://host:3310`` or ``unix:///run/clamav/clamd.ctl``).

It fails closed: when clamd is configured but cannot be reached, answers something unexpected, or finds
something, the file is refused with a message and nothing is stored. Unset, files are not scanned (the
checks by content in uploads.py still apply); docs/security.md says so.
"""

from __future__ import annotations

import logging
import socket
import struct
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class ScanFailed(Exception):
    """clamd could not give an answer: unreachable, timed out, refused the stream or said something else."""


class Infected(Exception):
    """clamd found something; the message is the signature name."""


def _connect(url: str, timeout: float) -> socket.socket:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(parts.path)
        except OSError:
            sock.close()
            raise
        return sock
    if parts.scheme == "tcp" and parts.hostname:
        return socket.create_connection((parts.hostname, parts.port or 3310), timeout=timeout)
    raise ScanFailed(f"unsupported clamd address {url!r}: use tcp://host:port or unix:///path")


def scan(content: bytes, url: str, timeout: float = 30.0) -> None:
    """Return if clamd at ``url`` finds ``content`` clean; raise :class:`Infected` or :class:`ScanFailed`."""
    try:
        with _connect(url, timeout) as sock:
            sock.sendall(b"zINSTREAM\0")
            for start in range(0, len(content), CHUNK):
                chunk = content[start : start + CHUNK]
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                data = sock.recv(4096)
                if not data:
                    break
                reply += data
    except OSError as error:
        log.error("virus scan failed: clamd at %s: %s", url, error)
        raise ScanFailed(str(error)) from None
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if answer == "stream: OK":
        return
    if answer.startswith("stream: ") and answer.endswith(" FOUND"):
        signature = answer.removeprefix("stream: ").removesuffix(" FOUND")
        log.warning("virus scan: clamd found %s", signature)
        raise Infected(signature)
    log.error("virus scan failed: clamd at %s answered %r", url, answer[:200])
    raise ScanFailed(answer[:200])
