"""Page and fragment rendering, and the helpers every template can use.

A page template names its swappable regions as blocks. A full request gets the
page; an HTMX request for a region gets just that block (the template-fragments
idea), so one template serves both and they cannot drift apart.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, make_response, render_template, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block

from portal.navigation import nav_for, user_menu_for


def wants_fragment() -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and not htmx.boosted


def render(template: str, block: str | None = None, status: int = 200, **context):
    """Render ``block`` of ``template`` for HTMX requests, the page otherwise."""
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    if block:
        # The same URL answers HTMX and full-page requests differently; caches
        # (and the browser's history restore) must keep them apart.
        response.vary.add("HX-Request")
    return response


def format_date(value: date | datetime | None, fmt: str = "%d %b %Y") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        tz = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "UTC"))
        value = value.astimezone(tz)
        return value.strftime(fmt + " %H:%M")
    return value.strftime(fmt)


def spelled_date(value) -> str:
    """"9 February 2028" from a date or an ISO string ('' when it is not a date)."""
    from portal.policies.date_reading import as_date, spelled

    day = as_date(value)
    return spelled(day) if day else ""


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (for filters, paging)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["spelled_date"] = spelled_date
    app.jinja_env.globals["url_with"] = url_with
    from portal.services.spreadsheets import ACCEPT_ATTRIBUTE

    app.jinja_env.globals["spreadsheet_accept"] = ACCEPT_ATTRIBUTE  # the spreadsheet uploads' accept=

    @app.context_processor
    def inject_navigation():
        if current_user.is_authenticated:
            return {"nav_items": nav_for(current_user), "user_menu": user_menu_for(current_user)}
        return {"nav_items": [], "user_menu": []}
