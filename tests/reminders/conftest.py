"""A real SMTP server on loopback (aiosmtpd) whose answers a test can script."""
from __future__ import annotations

import asyncio
import email
import socket
import threading
from email import policy

import pytest


class ScriptedHandler:
    """Records accepted messages; ``rcpt_replies`` / ``data_replies`` are
    consumed one per command (None or empty: accept)."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.rcpt_replies: list[str | None] = []
        self.data_replies: list[str | None] = []
        self.peers: list = []  # the client address of each accepted message: one per connection
        # Stall after storing message number ``stall_on`` (1-based) for
        # ``stall_seconds`` before answering DATA, as a server that has the
        # message but whose reply never arrives in time.
        self.stall_on: int | None = None
        self.stall_seconds = 0.0
        self.stalled = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.pop(0) if self.rcpt_replies else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.data_replies.pop(0) if self.data_replies else None
        if reply:
            return reply
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        self.peers.append(session.peer)
        if self.stall_on == len(self.messages):
            self.stalled.set()
            await asyncio.sleep(self.stall_seconds)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(app):
    from aiosmtpd.controller import Controller

    handler = ScriptedHandler()
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT=5)
    yield handler
    controller.stop()
    app.config["SMTP_HOST"] = None
