"""Regenerate `.pre-commit-hooks.yaml` at the repository root from the catalogue."""

from __future__ import annotations

from pathlib import Path

from hooks import render


def main() -> None:
    target = Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml"
    target.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main()
