"""What every verifier returns, and the registry verifiers join by name.

A verifier is a function ``(subject: Subject) -> Check | None``: None when it
does not apply (the file is not a signed PDF, the credential has no NPI), a
``Check`` otherwise. Verifiers never raise on bad input: a malformed
signature, badge or token is a ``failed`` or ``unverifiable`` check with a
sentence saying why. The one exception is ``SourceUnavailable`` (a board's
service is down): the caller keeps the old standing and tries again later.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

from portal.models import Credential, Document


T = TypeVar("T")


class SourceUnavailable(Exception):
    """The source could not be asked now (timeout, 5xx, rate limit): try later."""


@dataclass
class Subject:
    """What is being verified: the credential, and the file when there is one."""

    credential: Credential
    document: Document | None = None
    path: Path | None = None  # the stored file (the document's, or an uploaded badge)
    data: bytes | None = None

    def content(self) -> bytes | None:
        if self.data is None and self.path is not None and self.path.exists():
            self.data = self.path.read_bytes()
        return self.data


@dataclass
class Check:
    method: str
    source: str
    outcome: str
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)
    # Fields the credential itself states (a badge's dates), at full confidence.
    fields: dict[str, Any] = field(default_factory=dict)


Verifier = Callable[[Subject], "Check | None"]
VERIFIERS: dict[str, Verifier] = {}


def verifier(name: str):
    """Register ``fn`` under ``name``; policies list verifiers by these names."""

    def register(fn: Verifier) -> Verifier:
        VERIFIERS[name] = fn
        return fn

    return register


def run_coroutine(coroutine: Awaitable[T]) -> T:
    """Run an async library call (pyHanko's) to its end from synchronous code.

    ``asyncio.run`` refuses to start in a thread that already runs an event
    loop (an async server, a test session driving a browser); then the
    coroutine runs in a short-lived thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
