"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping every message it accepts.

The app talks to it over an ordinary SMTP connection, exactly as it would to the municipality's relay.
"""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """The aiosmtpd handler: stores each message as the server received it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        with self._lock:
            self._messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(content)))
        return "250 Message accepted for delivery"

    @property
    def envelopes(self) -> list[tuple[str, list[str], bytes]]:
        with self._lock:
            return list(self._messages)

    @property
    def messages(self) -> list[EmailMessage]:
        parsed = []
        for _sender, _recipients, content in self.envelopes:
            message = message_from_bytes(content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


class _Handler:
    """What aiosmtpd is given: the inbox's DATA hook and nothing else.

    aiosmtpd looks at every attribute of its handler when a connection opens (inspect.getmembers), which
    would read the inbox's properties and parse every message kept so far, at every connection.
    """

    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return await self._inbox.handle_DATA(server, session, envelope)


class SmtpServer:
    """An SMTP server on 127.0.0.1:``port`` that can be started late (to play a server that was down)."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        assert self._controller is None, "already running"
        controller = Controller(_Handler(self.inbox), hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages
