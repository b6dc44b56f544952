"""Real Ruby for the tests that hold dockmig to Psych's and ERB's behaviour."""

from __future__ import annotations

import shutil
import subprocess

from tests.conftest import require


def ruby_lines(
    script: str,
    texts: list[str],
    *,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> list[str]:
    """One line of output per text: `script` reads the texts, NUL-separated.

    Lines end at "\\n" only: a value Ruby prints may hold NEL, LS or PS.
    """
    ruby = shutil.which("ruby")
    require(ruby is not None, "ruby (installed by the oracle setup)")
    assert ruby is not None
    completed = subprocess.run(
        [ruby, "-e", script, *args],
        input="\0".join(texts),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=env,
    )
    lines = completed.stdout.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    assert len(lines) == len(texts), completed.stderr[-2000:]
    return lines
