"""Extraction in a child process with an address-space limit and a wall clock.

A hostile file (a decompression bomb, a parser bug that loops) can only take
down its worker: the parent kills it on timeout, reports ``timeout`` or
``too_large``, and starts a fresh worker for the next document. Workers are
long-lived (``python -m intake.worker``), so the interpreter and library
import cost is paid once per worker, not per document.
"""
from __future__ import annotations

import json
import os
import resource
import select
import subprocess
import sys
import threading
import time

from .errors import IntakeError
from .model import Extraction

DEFAULT_TIMEOUT = 120.0
DEFAULT_MEMORY_MB = 2048


def _limits(memory_mb: int):
    def apply() -> None:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


class Worker:
    """One child process extracting documents one at a time."""

    def __init__(self, memory_mb: int = DEFAULT_MEMORY_MB):
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        env = dict(os.environ, OMP_THREAD_LIMIT="1", PYTHONUNBUFFERED="1")
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        return subprocess.Popen([sys.executable, "-m", "intake.worker"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                preexec_fn=_limits(self.memory_mb), text=True, bufsize=1)

    def close(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def _ask(self, request: dict, timeout: float) -> tuple[dict | None, bool]:
        """Send one request and wait up to ``timeout``: (the reply, False), or
        (None, died) after a timeout or the worker's death (it is then closed)."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            line = self.proc.stdout.readline() if ready else None
        except (BrokenPipeError, OSError):
            line = ""
        if line:
            return json.loads(line), False
        # timed out, or the worker died (out of memory under RLIMIT_AS, a crash)
        self.close()
        return None, line == ""

    @staticmethod
    def _failure(died: bool, timeout: float) -> IntakeError:
        if died:
            return IntakeError("too_large",
                               "Reading the document needed more memory than allowed or crashed the reader.")
        return IntakeError("timeout", f"Reading the document took longer than {timeout:.0f} s.")

    def extract(self, path: str, hints: list[dict] | None = None,
                timeout: float = DEFAULT_TIMEOUT) -> Extraction:
        started = time.perf_counter()
        reply, died = self._ask({"path": str(path), "hints": hints or [], "ocr_timeout": max(1.0, timeout - 2)},
                                timeout)
        if reply is not None:
            return Extraction.from_dict(reply)
        result = Extraction(path=str(path), error=self._failure(died, timeout).to_dict())
        result.seconds = time.perf_counter() - started
        return result

    def hint(self, extraction: dict, field: str, corrected_value: str, timeout: float = DEFAULT_TIMEOUT) -> dict:
        """``hints_from_correction`` in this worker; raises IntakeError when
        reading the document fails, runs out of time or memory."""
        reply, died = self._ask({"task": "hint", "extraction": extraction, "field": field,
                                 "value": corrected_value}, timeout)
        if reply is None:
            raise self._failure(died, timeout)
        if "error" in reply:
            raise IntakeError("internal", reply["error"])
        return reply["hint"]


_shared: Worker | None = None
_lock = threading.Lock()


def _shared_worker(memory_mb: int) -> Worker:
    """The process's one worker with that memory limit (call holding _lock)."""
    global _shared
    if _shared is None or _shared.memory_mb != memory_mb:
        if _shared:
            _shared.close()
        _shared = Worker(memory_mb)
    return _shared


def extract_isolated(path: str, hints: list[dict] | None = None, timeout: float = DEFAULT_TIMEOUT,
                     memory_mb: int = DEFAULT_MEMORY_MB) -> Extraction:
    """``extract`` in a resource-limited child process (the portal's job calls this)."""
    with _lock:
        return _shared_worker(memory_mb).extract(path, hints, timeout)


def hints_isolated(extraction: dict, field: str, corrected_value: str, timeout: float = DEFAULT_TIMEOUT,
                   memory_mb: int = DEFAULT_MEMORY_MB) -> dict:
    """``hints_from_correction`` in the same resource-limited child process:
    learning from a correction reads the document again, and a document is
    only ever read under the worker's limits."""
    with _lock:
        return _shared_worker(memory_mb).hint(extraction, field, corrected_value, timeout)
