"""People: bulk upsert from the HRIS, read, deactivate."""
from __future__ import annotations

from portal.api import schemas
from portal.api.auth import scope
from portal.api.common import actor, check_size, documented_errors, finish, make_blueprint, page_answer, person_or_404
from portal.api.errors import ApiError
from portal.services import api_lists, people_sync

blp = make_blueprint("api_people", __name__, "People from the HRIS, keyed by employee id.")


@blp.route("", methods=["PUT"])
@blp.arguments(schemas.PeopleUpsertIn)
@blp.response(200, schemas.SyncResultSchema)
@documented_errors(blp, 413)
@scope("people:write")
def upsert_people(body):
    """Create or update people (idempotent)

    Keyed by `employee_id`. Fields left out stay as they are; `null` clears.
    Managers are linked by employee id wherever they appear in the payload;
    a cycle of managers is refused. Job roles and departments are created
    when new. `active: false` deactivates (with `left_on`, default today):
    a leaver's credentials stay in the registry but no longer remind.
    Records with errors are reported and skipped; `dry_run` writes nothing.
    """
    check_size(body["people"])
    result = people_sync.apply_people(body["people"], actor())
    return finish(result, body["dry_run"])


@blp.route("", methods=["GET"])
@blp.arguments(schemas.PeopleArgs, location="query")
@blp.response(200, schemas.PeoplePage)
@documented_errors(blp)
@scope("people:read")
def list_people(args):
    """List people

    Filter by `active`, `department` (name), `job_role` (code) or
    `manager_employee_id`; ordered by employee id.
    """
    return page_answer(api_lists.people(args, args["page"], args["per_page"]), args["per_page"])


@blp.route("/<string:employee_id>", methods=["GET"])
@blp.response(200, schemas.PersonOut)
@documented_errors(blp, 404)
@scope("people:read")
def get_person(employee_id: str):
    """One person by employee id"""
    return person_or_404(employee_id)


@blp.route("/<string:employee_id>/deactivate", methods=["POST"])
@blp.arguments(schemas.DeactivateIn)
@blp.response(200, schemas.PersonOut)
@documented_errors(blp, 404)
@scope("people:write")
def deactivate(body, employee_id: str):
    """Deactivate a leaver

    Sets `active` to false and `left_on` (default today). Their credentials
    stay in the registry; reminders stop. Deactivating twice changes nothing.
    """
    person = person_or_404(employee_id)
    outcome = people_sync.deactivate_person(person, body.get("left_on"), actor())
    if not outcome.ok:
        raise ApiError(409, "conflict", "; ".join(outcome.errors))
    return person


BLUEPRINTS = [(blp, "/people")]
