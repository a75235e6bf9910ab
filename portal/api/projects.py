"""Projects, their requirements, and assignments (staffing sync)."""
from __future__ import annotations

from portal.api import schemas
from portal.api.auth import scope
from portal.api.common import (actor, check_size, documented_errors, finish, make_blueprint, not_found, page_answer,
                               sync_answer)
from portal.api.errors import ApiError
from portal.models import Project
from portal.services import api_lists, people_sync

blp = make_blueprint("api_projects", __name__, "Projects, their credential requirements and who is staffed on them.")


def _project(code: str) -> Project:
    project = api_lists.project_by_code(code)
    if project is None:
        raise not_found("project", code)
    return project


@blp.route("", methods=["PUT"])
@blp.arguments(schemas.ProjectsUpsertIn)
@blp.response(200, schemas.SyncResultSchema)
@documented_errors(blp, 413)
@scope("projects:write")
def upsert_projects(body):
    """Create or update projects (idempotent, keyed by code)"""
    check_size(body["projects"])
    return finish(people_sync.apply_projects(body["projects"], actor()), body["dry_run"])


@blp.route("", methods=["GET"])
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.ProjectsPage)
@documented_errors(blp)
@scope("projects:read")
def list_projects(args):
    """List projects with their requirements"""
    return page_answer(api_lists.projects(args["page"], args["per_page"]), args["per_page"])


@blp.route("/<string:code>", methods=["GET"])
@blp.response(200, schemas.ProjectOut)
@documented_errors(blp, 404)
@scope("projects:read")
def get_project(code: str):
    """One project with its requirements"""
    return _project(code)


@blp.route("/<string:code>/requirements", methods=["PUT"])
@blp.arguments(schemas.RequirementsIn)
@blp.response(200, schemas.SyncResultSchema)
@documented_errors(blp, 404, 409)
@scope("projects:write")
def set_requirements(body, code: str):
    """Set the project's credential requirements (replaces the list)

    Unknown credential type codes refuse the whole call (409) so a typo never
    drops a requirement.
    """
    project = _project(code)
    result = people_sync.set_project_requirements(project, body["requirements"], actor())
    if not people_sync.settle(result, all_or_nothing=True):
        raise ApiError(409, "conflict", "Some requirements were refused; nothing was changed.",
                       details=[o.as_dict() for o in result.errors])
    return sync_answer(result, True), 200


@blp.route("/<string:code>/assignments", methods=["GET"])
@blp.response(200, schemas.AssignmentsOut)
@documented_errors(blp, 404)
@scope("projects:read")
def list_assignments(code: str):
    """Who is staffed on the project"""
    project = _project(code)
    return {"items": api_lists.project_assignments(project)}


@blp.route("/<string:code>/assignments", methods=["PUT"])
@blp.arguments(schemas.ProjectAssignmentsIn)
@blp.response(200, schemas.SyncResultSchema)
@documented_errors(blp, 404, 409, 413)
@scope("projects:write")
def replace_assignments(body, code: str):
    """Replace the project's staffing with this list

    The staffing system's full view of one project: listed assignments are
    created or updated (keyed by employee id and start date), others are
    removed. Any invalid record refuses the whole call (409).
    """
    project = _project(code)
    check_size(body["assignments"])
    records = [{**item, "project": project.code} for item in body["assignments"]]
    result = people_sync.apply_assignments(records, actor(), replace_for=project)
    if not people_sync.settle(result, all_or_nothing=True):
        raise ApiError(409, "conflict", "Some assignments were refused; nothing was changed.",
                       details=[o.as_dict() for o in result.errors])
    return sync_answer(result, True), 200


assignments_blp = make_blueprint("api_assignments", __name__, "Assignments across projects (staffing sync).")


@assignments_blp.route("", methods=["PUT"])
@assignments_blp.arguments(schemas.AssignmentsUpsertIn)
@assignments_blp.response(200, schemas.SyncResultSchema)
@documented_errors(assignments_blp, 413)
@scope("projects:write")
def upsert_assignments(body):
    """Create or update assignments across projects (idempotent)

    Keyed by project code, employee id and start date. Nothing is removed.
    """
    check_size(body["assignments"])
    return finish(people_sync.apply_assignments(body["assignments"], actor()), body["dry_run"])


BLUEPRINTS = [(blp, "/projects"), (assignments_blp, "/assignments")]
