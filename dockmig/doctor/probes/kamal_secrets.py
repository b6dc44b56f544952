"""Every secret the config uses has a value in this shell (not only in .env).

The names are those Kamal looks up (`registry` credentials written as
`[NAME]`, `env.secret`, `builder.secrets`, `ssh.key_data`, proxy
certificates), per target; each must be defined in the secrets files Kamal
reads for that target, and a `$NAME` in its value must be set in this shell.
A value that lives only in `.env` is reported as such: Kamal 1 loaded `.env`,
Kamal 2 does not. Values from `$(…)` are checked only with
`--resolve-secrets`, which runs the commands; until then they are a warning.
"""

from __future__ import annotations

from dockmig.doctor import Outcome, ProbeContext, fail, ok, warn
from dockmig.doctor.availability import (
    AVAILABLE,
    BROKEN,
    NOT_RUN,
    Availability,
    lookup,
)
from dockmig.doctor.probes.kamal_lint import no_project, target_name

ID = "kamal.secrets"
NEEDS: tuple[str, ...] = ()
TIMEOUT = 10.0


def run(context: ProbeContext) -> Outcome:
    missing = no_project(context)
    if missing is not None:
        return missing
    from dockmig.rules.secret_undefined import secret_uses

    inputs = context.inputs
    checked: dict[str, list[tuple[str, Availability]]] = {}
    for target in inputs.targets:
        names = list(dict.fromkeys(use.name for use in secret_uses(target)))
        for name in names:
            context.doing(f"the value of secret {name}")
            found = lookup(
                name,
                target.secrets_files,
                inputs.environ,
                dotenv_names=inputs.dotenv_names,
                run_commands=inputs.resolve_secrets,
                cwd=inputs.root,
                timeout=context.timeout(),
            )
            checked.setdefault(name, []).append(
                (target_name(target.destination), found)
            )

    if not checked:
        return ok("the config uses no secrets")
    details = {
        name: {where: found.state for where, found in results}
        for name, results in checked.items()
    }
    problems = [
        (name, where, found)
        for name, results in checked.items()
        for where, found in results
        if found.state not in (AVAILABLE, NOT_RUN)
    ]
    unrun = sorted(
        {
            name
            for name, results in checked.items()
            for _, f in results
            if f.state == NOT_RUN
        }
    )

    if problems:
        # The .env cases first: they explain a value people think they have.
        problems.sort(key=lambda problem: not problem[2].only_in_dotenv)
        several = len(inputs.targets) > 1
        reasons = [
            found.reason + (f" ({where})" if several else "")
            for _, where, found in problems[:3]
        ]
        summary = "; ".join(reasons)
        if len(problems) > 3:
            summary += f"; and {len(problems) - 3} more"
        if any(f.only_in_dotenv for _, _, f in problems):
            remedy = (
                "Kamal 2 does not read .env: export those variables in this shell "
                "(e.g. `set -a; . ./.env; set +a`) or fetch them in .kamal/secrets "
                "with `kamal secrets fetch`"
            )
        elif all(f.state == BROKEN for _, _, f in problems):
            remedy = (
                "make each command succeed (and finish) in this shell, as Kamal "
                "will run it; run it by hand to see what it says"
            )
        else:
            # With -d DEST Kamal reads secrets.DEST, not the plain file.
            read_by = {
                target_name(t.destination): t.secrets_paths[-1] for t in inputs.targets
            }
            files = sorted({read_by[where] for _, where, _ in problems})
            remedy = (
                f"define each in {' or '.join(files)} (e.g. NAME=$NAME), the "
                "file Kamal reads for that target, and export it in this shell "
                "before running kamal"
            )
        return fail(summary, remedy, details=details)
    if unrun:
        return warn(
            f"{len(checked) - len(unrun)} of {len(checked)} secrets have values here; "
            f"{', '.join(unrun)} come from commands dockmig did not run",
            "run `dockmig doctor --resolve-secrets` to run them and check their output",
            details=details,
        )
    listed = ", ".join(list(checked)[:5]) + (", …" if len(checked) > 5 else "")
    return ok(
        f"every secret the config uses has a value in this shell ({listed})",
        details=details,
    )
