"""Property-based tests from the OpenAPI document (schemathesis, in-process WSGI).

Every operation in the generated document is called with data schemathesis
derives from it (valid and invalid), using an all-scopes token; no answer may
be a 5xx, and every answer must conform to the document (documented status
code, body matching its schema, content type).

The operations are driven with Hypothesis directly (``operation.as_strategy()``)
inside one test, so the per-test database fixtures apply.
"""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from portal.extensions import db

EXAMPLES_PER_OPERATION = 25


def test_api_conforms_to_its_document_and_never_answers_5xx(app, org, api_headers):
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers=api_headers)
            db.session.rollback()  # leave the shared session clean for the next example
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
            case.validate_response(response, headers=api_headers)

        check()
