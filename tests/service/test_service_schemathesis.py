"""Property-based run of schemathesis against ``/openapi.json`` of the service (ASGI, no
network): every operation, positive and negative inputs, with the checks
``not_a_server_error`` and ``response_schema_conformance`` — no 5xx, and every response matches
its documented schema. Bounded: a few examples per operation, no deadline (< 1 minute).

In CI the examples are derandomised (a fixed set, so the gate is reproducible); elsewhere every
run draws new ones — that is how the 500s now covered by ``test_service_edge.py`` were found."""
from __future__ import annotations

import os

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

# per operation: every operation keeps both modes; 60 + 40 instead of 150 + 100 took the test
# from ~54 s to about a third of it (make test's 6-minute budget) — the budget of examples, not
# the operations or checks, was cut
EXAMPLES = {GenerationMode.POSITIVE: 60, GenerationMode.NEGATIVE: 40}
IN_CI = os.environ.get("CI") == "true"


def test_schemathesis_no_server_errors_and_conforming_responses(make_service):
    s = make_service(max_batch=5)
    schema = schemathesis.openapi.from_asgi("/openapi.json", s.app)
    headers = s.h("admin")
    failures: list[str] = []
    ops = [r.ok() for r in schema.get_all_operations()]
    assert len(ops) >= 8
    for op in ops:
        for mode, n in EXAMPLES.items():
            @hypothesis.given(case=op.as_strategy(generation_mode=mode))
            @hypothesis.settings(max_examples=n, deadline=None, database=None, derandomize=IN_CI,
                                 phases=[Phase.explicit, Phase.generate],
                                 suppress_health_check=list(HealthCheck))
            def run(case):
                case.call_and_validate(headers=headers,
                                       checks=[not_a_server_error, response_schema_conformance])

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                continue  # nothing to make invalid (e.g. GET /healthz has no inputs)
            except Exception as e:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{op.method.upper()} {op.path} [{mode.value}]: "
                                f"{type(e).__name__}: {str(e)[:1500]}")
    if failures:
        pytest.fail("\n\n".join(failures))
