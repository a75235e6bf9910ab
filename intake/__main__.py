"""python -m intake FILE [FILE ...]: one JSON object per line, in input order."""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from .isolate import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, Worker
from .pipeline import extract_document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m intake", description=__doc__)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: the core count)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per document")
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB, help="address-space limit per worker")
    parser.add_argument("--in-process", action="store_true", help="no worker processes (debugging)")
    args = parser.parse_args(argv)
    progress = sys.stderr.isatty()
    total, done = len(args.files), 0
    lock = threading.Lock()
    local = threading.local()
    jobs = 1 if args.in_process else max(1, min(args.jobs, total))
    # Forked now, while this is the only thread: no second interpreter per worker.
    idle: list[Worker] = [] if args.in_process else [Worker(args.memory_mb, fork=True) for _ in range(jobs)]
    for w in idle:
        w.start()
    workers = list(idle)

    def run(path: str) -> dict:
        nonlocal done
        if args.in_process:
            result = extract_document(path).to_dict()
        else:
            if not hasattr(local, "worker"):
                with lock:
                    local.worker = idle.pop()
            result = local.worker.extract(path, timeout=args.timeout).to_dict()
        with lock:
            done += 1
            if progress:
                sys.stderr.write(f"\r{done}/{total} {os.path.basename(path)[:40]:<40}")
                sys.stderr.flush()
        return result

    try:
        with ThreadPoolExecutor(jobs) as pool:
            for result in pool.map(run, args.files):
                sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
                sys.stdout.flush()
    finally:
        for w in workers:
            w.close()
        if progress:
            sys.stderr.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
