"""Asking a source over HTTP: timeouts, retries, a rate limit per source, a small cache.

Used for did:web documents, status lists, hosted badge assertions and board
lookup APIs. Connections go through the webhook guard, so a badge cannot make
the portal call into its own network unless the admin allows private
networks (``VERIFICATION_ALLOW_PRIVATE_NETWORKS``). A source that times out,
answers 5xx or 429 raises ``SourceUnavailable``: the caller keeps the old
standing and tries later. A 4xx is an answer (``NotFound``/``Refused``).
"""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlparse

from flask import current_app

from portal.services.verification.base import SourceUnavailable

USER_AGENT = "Credwatch-Verification/1"
MAX_BYTES = 2 * 1024 * 1024
_cache: dict[str, tuple[float, Any]] = {}
_last_call: dict[str, float] = {}
_lock = threading.Lock()


class Refused(Exception):
    """The source answered, and the answer is no (4xx, or not JSON)."""


def _config(name: str, default):
    return current_app.config.get(name, default)


def _wait_for_rate_limit(source: str, per_minute: float) -> None:
    if per_minute <= 0:
        return
    gap = 60.0 / per_minute
    with _lock:
        now = time.monotonic()
        wait = _last_call.get(source, 0.0) + gap - now
        _last_call[source] = max(now, _last_call.get(source, 0.0) + gap)
    if wait > 0:
        time.sleep(wait)


def _remember(url: str, body: bytes, seconds: float) -> None:
    """Cache ``body``; answers past their time are dropped, so a long-lived worker keeps only live ones."""
    now = time.monotonic()
    with _lock:
        for stale in [key for key, (until, _) in _cache.items() if until <= now]:
            del _cache[stale]
        _cache[url] = (now + seconds, body)


def get(url: str, *, source: str | None = None, timeout: float | None = None, retries: int | None = None,
        per_minute: float | None = None, cache_seconds: float = 0, headers: dict | None = None) -> bytes:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise Refused(f"not a web address: {url[:100]}")
    source = source or parsed.netloc
    if cache_seconds:
        hit = _cache.get(url)
        if hit and hit[0] > time.monotonic():
            return hit[1]
    from portal.services.webhooks import RefusedAddress, _opener

    opener = _opener(bool(_config("VERIFICATION_ALLOW_PRIVATE_NETWORKS", False)))
    timeout = timeout if timeout is not None else float(_config("VERIFICATION_HTTP_TIMEOUT", 5))
    retries = retries if retries is not None else int(_config("VERIFICATION_HTTP_RETRIES", 1))
    per_minute = per_minute if per_minute is not None else float(_config("VERIFICATION_HTTP_PER_MINUTE", 60))
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json, */*",
                                                   **(headers or {})})
    last = "no answer"
    for attempt in range(retries + 1):
        _wait_for_rate_limit(source, per_minute)
        try:
            with opener.open(request, timeout=timeout) as response:
                body = response.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise Refused(f"{source} answered with more than {MAX_BYTES // 1024} KB")
            if cache_seconds:
                _remember(url, body, cache_seconds)
            return body
        except urllib.error.HTTPError as error:
            if error.code == 429 or error.code >= 500:
                last = f"HTTP {error.code}"
            else:
                raise Refused(f"{source} answered HTTP {error.code}") from error
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, RefusedAddress):
                raise Refused(str(reason)) from error
            last = f"{type(reason).__name__}: {reason}"
        if attempt < retries:
            time.sleep(min(0.2 * (2 ** attempt), 2.0))
    raise SourceUnavailable(f"{source}: {last}"[:300])


def get_json(url: str, **kwargs) -> Any:
    body = get(url, **kwargs)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise Refused(f"{urlparse(url).netloc} did not answer with JSON") from error


def clear_cache() -> None:
    _cache.clear()
    _last_call.clear()
