"""Kamal accepts the deploy configuration of every target (dockmig lint's verdict).

Runs `dockmig lint` on the project: the destination given (`-d`,
`$KAMAL_DESTINATION`), else the base and every destination (the base alone
when run from a Kamal hook, which deploys without -d). A target Kamal
would refuse fails; a verdict dockmig cannot reach (ERB it does not run) and
lint errors that Kamal itself does not check (a secret no file defines) are
warnings. `dockmig lint` lists every problem with its position.
"""

from __future__ import annotations

from dockmig.doctor import Outcome, ProbeContext, fail, ok, skip, warn
from dockmig.doctor.inputs import load_failure
from dockmig.errors import DockmigError
from dockmig.findings import Severity

ID = "kamal.lint"
NEEDS: tuple[str, ...] = ()
TIMEOUT = 8.0


def project_missing(context: ProbeContext) -> Outcome | None:
    """The outcome of every kamal probe when there is no project to read."""
    inputs = context.inputs
    if inputs.project_error:
        return fail(
            f"the Kamal project cannot be read: {inputs.project_error}",
            "fix the file named, then run again",
        )
    if inputs.project is None:
        return skip(f"no config/deploy.yml in {inputs.root}: not a Kamal project")
    return None


def no_project(context: ProbeContext) -> Outcome | None:
    """The outcome of a kamal probe that reads the config, when there is none.

    A target whose deploy file did not load has no values to check, which is
    not the same as none to check: the probe skips, naming the reader's
    finding, and kamal.lint's verdict counts it.
    """
    missing = project_missing(context)
    if missing is not None:
        return missing

    failures: dict[str, list[str]] = {}
    for target in context.inputs.targets:
        failure = load_failure(target)
        if failure is not None:
            failures.setdefault(failure, []).append(target_name(target.destination))
    if not failures:
        return None
    reasons = "; ".join(f"{why} ({', '.join(t)})" for why, t in failures.items())
    return skip(f"the config did not load, so nothing to check: {reasons}")


def target_name(destination: str | None) -> str:
    return "base" if destination is None else destination


def run(context: ProbeContext) -> Outcome:
    missing = project_missing(context)
    if missing is not None:
        return missing
    from dockmig import lint

    inputs = context.inputs
    context.doing("dockmig lint")
    try:
        result = lint.lint(
            inputs.root,
            destinations=[inputs.destination] if inputs.destination else [],
            settings=inputs.settings,
            environ=inputs.environ,
            # From a Kamal hook without a destination only the base deploys.
            base_only=[t.destination for t in inputs.targets] == [None],
        )
    except DockmigError as error:
        return fail(f"lint could not read the project: {error}", "fix the file named")

    errors = [f for f in result.findings if f.severity >= Severity.ERROR]
    warnings = [f for f in result.findings if f.severity == Severity.WARNING]
    names = [target_name(t.destination) for t in result.targets]
    details = {
        "targets": {
            target_name(t.destination): t.kamal_accepts for t in result.targets
        },
        "errors": len(errors),
        "warnings": len(warnings),
    }
    counts = (
        f"{len(errors)} error(s), {len(warnings)} warning(s)"
        if errors or warnings
        else "no findings"
    )
    remedy = "run `dockmig lint` to see every problem with its file and line"

    rejected = [t for t in result.targets if t.kamal_accepts is False]
    if rejected:
        first = next(
            (f for f in errors if f.kamal_rejects), errors[0] if errors else None
        )
        where = f": {first.file}:{first.line}: {first.message}" if first else ""
        targets = ", ".join(target_name(t.destination) for t in rejected)
        return fail(
            f"Kamal rejects the config ({targets}){where}", remedy, details=details
        )
    undecided = [t for t in result.targets if t.kamal_accepts is None]
    if undecided:
        because = undecided[0].undecided_because or "ERB dockmig does not run"
        return warn(
            f"dockmig cannot tell whether Kamal accepts "
            f"{target_name(undecided[0].destination)}: {because}",
            remedy,
            details=details,
        )
    if errors:
        first = errors[0]
        return warn(
            f"Kamal accepts {', '.join(names)}, but lint reports {counts}; first: "
            f"{first.file}:{first.line}: {first.message}",
            remedy,
            details=details,
        )
    return ok(f"Kamal accepts {', '.join(names)}; lint: {counts}", details=details)
