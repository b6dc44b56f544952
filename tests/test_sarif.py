"""lint's SARIF output validates against the SARIF 2.1.0 schema.

The schema is OASIS's; CI fetches it from the npm registry (see .ci/run) and
points DOCKMIG_SARIF_SCHEMA at it. Elsewhere the test skips without it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from jsonschema import validators

from tests.conftest import REPO, require


def test_lint_sarif_validates_against_the_sarif_2_1_0_schema() -> None:
    configured = os.environ.get("DOCKMIG_SARIF_SCHEMA", "")
    schema_path = Path(configured) if configured else None
    require(
        schema_path is not None and schema_path.is_file(),
        "the SARIF 2.1.0 schema (set DOCKMIG_SARIF_SCHEMA; .ci/run fetches it)",
    )
    assert schema_path is not None
    schema = json.loads(schema_path.read_text("utf-8"))

    result = subprocess.run(
        [sys.executable, "-m", "dockmig", "lint", "examples/knot", "--format", "sarif"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    sarif = json.loads(result.stdout)
    assert sarif["runs"][0]["results"], "the example has findings to validate"

    validator_class = validators.validator_for(schema)
    errors = sorted(validator_class(schema).iter_errors(sarif), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
