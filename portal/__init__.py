"""Credwatch portal: the Flask application factory."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from portal.config import apply_environment, defaults, instance_secret

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, instance/config.py, environment, then test config."""
    test_config = dict(test_config or {})
    instance_path = test_config.pop("INSTANCE_PATH", None) or os.environ.get(
        "CREDWATCH_INSTANCE_PATH", str(ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(defaults(app.instance_path))
    app.config["SECRET_KEY"] = instance_secret(app.instance_path)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("CREDWATCH")
    apply_environment(app.config)
    app.config.update(test_config)

    import portal.models  # noqa: F401  (registers every table on the metadata)
    from portal import database, security
    from portal.api import init_api
    from portal.blueprints import register_blueprints
    from portal.cli import register_cli
    from portal.extensions import csrf, db, htmx, limiter, migrate
    from portal.rendering import register_template_helpers
    from portal.routing import DatabaseIdConverter
    from portal.services import compliance_snapshot  # noqa: F401  (re-evaluation hooks)
    from portal.services import mailer
    from portal.services.mail_types import MAIL_TYPES

    database.configure_engine_options(app)
    db.init_app(app)
    database.install_sqlite_pragmas(app)
    migrate.init_app(app, db, directory=str(ROOT / "portal" / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    if app.config["RATELIMIT_STORAGE_URI"].startswith("credwatch-sql://"):
        import portal.rate_limits  # registers the credwatch-sql:// store

        app.config["RATELIMIT_STORAGE_OPTIONS"] = portal.rate_limits.storage_options(app)
    limiter.init_app(app)
    hops = int(app.config["TRUSTED_PROXIES"])
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    security.init_app(app)
    register_template_helpers(app)
    mailer.init_app(app, MAIL_TYPES)
    app.url_map.converters["int"] = DatabaseIdConverter
    register_blueprints(app)
    init_api(app)
    register_cli(app)
    return app
