"""Default configuration.

Order of precedence (lowest first): these defaults, ``instance/config.py``,
environment variables prefixed ``CREDWATCH_`` (``from_prefixed_env``), the
well-known ``DATABASE_URL`` / ``REDIS_URL`` variables, then a test config.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def instance_secret(instance_path: str) -> str:
    """A random secret kept in the instance folder, made on first start.

    Keeps sessions valid across restarts without committing a secret.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def defaults(instance_path: str) -> dict:
    inst = Path(instance_path)
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{inst / 'credwatch.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "REDIS_URL": None,
        "UPLOAD_FOLDER": str(inst / "uploads"),
        "OUTBOX_FOLDER": str(inst / "outbox"),
        # Phone photos of certificates are a few MB; 25 MB leaves room for
        # multi-page scans while refusing anything absurd before it is read.
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        # Per uploader (a person signed in, or an API token): files in the last
        # hour and bytes in the last 24 hours; 0 turns a limit off.
        "UPLOADS_PER_HOUR": 60,
        "UPLOAD_BYTES_PER_DAY": 500 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Browsers accept Secure cookies on http://localhost, so this stays on
        # even for the embedded demo; set CREDWATCH_SESSION_COOKIE_SECURE=false
        # only when serving plain HTTP on another host name.
        "SESSION_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Seconds. "Remember me" lasts two weeks (checked by the server too);
        # a session ends this long after sign-in however busy it was.
        "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
        "SESSION_ABSOLUTE_LIFETIME": 12 * 3600,
        # A CSRF token lasts as long as a session; a new one at every sign-in.
        "WTF_CSRF_TIME_LIMIT": 12 * 3600,
        "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
        # Counters every worker shares: the database (portal.rate_limits), or
        # Redis when REDIS_URL is set. "memory://" counts per process.
        "RATELIMIT_STORAGE_URI": "credwatch-sql://",
        # How many proxies in front set X-Forwarded-For/-Proto/-Host (0: none
        # trusted; behind one TLS-terminating proxy, 1).
        "TRUSTED_PROXIES": 0,
        "RATELIMIT_HEADERS_ENABLED": True,
        "MAIL_SENDER": "Credwatch <no-reply@credwatch.local>",
        "SMTP_HOST": None,
        "SMTP_PORT": 25,
        "SMTP_USERNAME": None,
        "SMTP_PASSWORD": None,
        "SMTP_STARTTLS": False,
        "SMTP_TIMEOUT": 10,
        "SMTP_MESSAGES_PER_CONNECTION": 100,  # then a fresh connection (servers cap them)
        "REMINDER_TIME": "07:00",
        "REMINDER_TIMEZONE": "UTC",
        # Weekly digests go out on this cron day of week (0 Sunday, 1 Monday).
        "DIGEST_WEEKDAY": "1",
        # A reminder step stays sendable until the next one falls due; the last
        # one for this many days (catch-up after the consumer was down).
        "REMINDER_CATCHUP_DAYS": 14,
        "MAIL_MAX_ATTEMPTS": 5,
        "MAIL_RETRY_BASE_SECONDS": 60,
        # A "sending" claim older than this was lost with its worker.
        "MAIL_SEND_LEASE_SECONDS": 600,
        "RENEWAL_LINK_MAX_AGE_DAYS": 45,
        # Links in email; by default the port the portal runs on (PORT=5101 make run).
        # PORTAL_PORT first: honcho gives each process its own PORT (the
        # worker, which renders most emails, gets the web's + 100).
        "PUBLIC_BASE_URL": f"http://localhost:{os.environ.get('PORTAL_PORT') or os.environ.get('PORT') or 5000}",
        "HEALTH_CONSUMER_STALE_SECONDS": 180,
        # /healthz says "degraded" when the upload folder has less free space.
        "HEALTH_MIN_FREE_BYTES": 200 * 1024 * 1024,
        "PAGE_SIZE": 25,
    }


def apply_environment(config) -> None:
    """Honour the conventional variables operators already set."""
    if os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    if os.environ.get("REDIS_URL"):
        config["REDIS_URL"] = os.environ["REDIS_URL"]
        config["RATELIMIT_STORAGE_URI"] = os.environ["REDIS_URL"]


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
