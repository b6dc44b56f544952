"""Tab variants of a YAML text, for comparing readers on where tabs may go."""

from __future__ import annotations


def tab_variants(text: str) -> list[str]:
    """The text with one blank turned into a tab, or a tab added, at each place."""
    variants = []
    for index, character in enumerate(text):
        if character == " ":
            variants.append(text[:index] + "\t" + text[index + 1 :])
        if character in "#\n":
            variants.append(text[:index] + "\t" + text[index:])
    return variants
