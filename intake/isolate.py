"""Extraction in a child process with an address-space limit and a wall clock.

A hostile file (a decompression bomb, a parser bug that loops) can only take
down its worker: the parent kills it on timeout, reports ``timeout`` or
``too_large``, and starts a fresh worker for the next document. Workers are
long-lived (``python -m intake.worker``), so the interpreter and library
import cost is paid once per worker, not per document. The command line
(``python -m intake``) forks its workers instead (``fork=True``): a fork of
a process that has already imported the pipeline starts no second
interpreter and imports nothing again (~0.3 s CPU per worker saved). The
portal keeps exec'd workers: forking a multi-threaded server is unsafe, and
RLIMIT_AS below a big parent's address space would starve the child.
"""
from __future__ import annotations

import json
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

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


class _Forked:
    """The part of ``subprocess.Popen`` a Worker uses, for a forked child."""

    def __init__(self, pid: int, stdin, stdout):
        self.pid, self.stdin, self.stdout = pid, stdin, stdout
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> int:
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        for pipe in (self.stdin, self.stdout):
            pipe.close()
        return self.returncode


def _fork(memory_mb: int) -> _Forked:
    """A child of this process serving requests on pipes (no new interpreter)."""
    from . import worker   # imported here, before the fork, so the child inherits it
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: never returns into the parent's code
        code = 1
        try:
            os.dup2(req_r, 0)
            os.dup2(rep_w, 1)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            os.closerange(3, 65536)      # the parent's other pipes (other workers' ends)
            os.environ["OMP_THREAD_LIMIT"] = "1"
            _limits(memory_mb)()
            worker.serve(open(0, encoding="utf-8", closefd=False),
                         open(1, "w", encoding="utf-8", closefd=False))
            code = 0
        finally:
            os._exit(code)   # no atexit handlers, no flushing the parent's buffers
    os.close(req_r)
    os.close(rep_w)
    return _Forked(pid, open(req_w, "w", encoding="utf-8"), open(rep_r, encoding="utf-8"))


class Worker:
    """One child process extracting documents one at a time.

    ``fork=True`` forks the child from this process while it is the only
    thread (the command line's main thread, before its pool starts); a
    replacement needed later from another thread is exec'd as usual.
    """

    def __init__(self, memory_mb: int = DEFAULT_MEMORY_MB, fork: bool = False):
        self.memory_mb = memory_mb
        self.fork = fork
        self.proc: subprocess.Popen | _Forked | None = None
        # Requests sent to the child, by task ("extract", "hint", "render"):
        # what a reading cost in trips to the reader, for the tests to count.
        self.asked: Counter[str] = Counter()

    def start(self) -> None:
        """Start the child now (it is otherwise started by the first request)."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()

    def _start(self) -> subprocess.Popen | _Forked:
        if self.fork and threading.active_count() == 1:
            return _fork(self.memory_mb)
        env = dict(os.environ, OMP_THREAD_LIMIT="1", PYTHONUNBUFFERED="1")
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        return subprocess.Popen([sys.executable, "-m", "intake.worker"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                preexec_fn=_limits(self.memory_mb), text=True, bufsize=1,
                                # Its own session: a stop signal sent to the consumer's process
                                # group (Ctrl-C, systemd, a container runtime) is for the parent,
                                # which decides whether to wait for this reading or to kill it;
                                # dying with it reported sound documents as unreadable. If the
                                # parent dies, stdin closes and the worker's loop ends.
                                start_new_session=True)

    def close(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def _ask(self, request: dict, timeout: float) -> tuple[dict | None, bool]:
        """Send one request and wait up to ``timeout``: (the reply, False), or
        (None, died) after a timeout or the worker's death (it is then closed)."""
        self.start()
        self.asked[request.get("task", "extract")] += 1
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
                timeout: float = DEFAULT_TIMEOUT, taught: dict[str, list[dict]] | None = None) -> Extraction:
        """``extract_document`` in this worker (``taught``: hints per issuer key,
        applied to the issuer the reading finds when ``hints`` are none)."""
        started = time.perf_counter()
        reply, died = self._ask({"path": str(path), "hints": hints or [], "taught": taught or {},
                                 "ocr_timeout": max(1.0, timeout - 2)}, timeout)
        if reply is not None:
            if (reply.get("error") or {}).get("code") == "too_large":
                # A worker that ran into its memory limit keeps what it half
                # loaded (a library it failed to map): the next document gets a fresh one.
                self.close()
            return Extraction.from_dict(reply)
        result = Extraction(path=str(path), error=self._failure(died, timeout).to_dict(),
                            hints_used=len(hints or []))
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

    def render(self, path: str, page: int, target: str, dpi: int, rotation: int | None,
               max_side: int, timeout: float) -> None:
        """Draw ``page`` of ``path`` into the PNG file ``target`` in this worker;
        raises IntakeError when drawing fails, runs out of time or memory."""
        reply, died = self._ask({"task": "render", "path": str(path), "page": page, "target": str(target),
                                 "dpi": dpi, "rotation": rotation, "max_side": max_side}, timeout)
        if reply is None:
            raise self._failure(died, timeout)
        if "error" in reply:
            raise IntakeError("unreadable", reply["error"])


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
                     memory_mb: int = DEFAULT_MEMORY_MB, taught: dict[str, list[dict]] | None = None) -> Extraction:
    """``extract`` in a resource-limited child process (the portal's job calls this)."""
    with _lock:
        return _shared_worker(memory_mb).extract(path, hints, timeout, taught)


def requests_asked(task: str = "extract") -> int:
    """How many ``task`` requests the shared worker was sent (its child
    processes replaced after a death included)."""
    with _lock:
        return _shared.asked[task] if _shared else 0


def render_isolated(path: str, page: int, target: str, dpi: int = 110, rotation: int | None = None,
                    max_side: int = 1400, timeout: float = DEFAULT_TIMEOUT,
                    memory_mb: int = DEFAULT_MEMORY_MB) -> None:
    """``render_page`` into a PNG file, under the same limits as extraction: a
    page that takes minutes to draw costs its worker, never the caller."""
    with _lock:
        _shared_worker(memory_mb).render(path, page, target, dpi, rotation, max_side, timeout)


def hints_isolated(extraction: dict, field: str, corrected_value: str, timeout: float = DEFAULT_TIMEOUT,
                   memory_mb: int = DEFAULT_MEMORY_MB) -> dict:
    """``hints_from_correction`` in the same resource-limited child process:
    learning from a correction reads the document again, and a document is
    only ever read under the worker's limits."""
    with _lock:
        return _shared_worker(memory_mb).hint(extraction, field, corrected_value, timeout)
