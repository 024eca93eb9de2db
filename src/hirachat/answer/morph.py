"""Kiwi (kiwipiepy, offline), loaded once: morphemes with their tags and character spans, for reading
questions, for telling a word inside a name from a word of that name, and for BM25."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def kiwi() -> Any:
    from kiwipiepy import Kiwi

    return Kiwi()


def tokens(text: str) -> list[str]:
    """Kiwi morphemes (forms), for single-syllable values and for BM25."""
    return [t.form for t in kiwi().tokenize(text)]


@lru_cache(maxsize=4096)
def morphemes(text: str) -> tuple[str, ...]:
    """The forms of ``text``'s morphemes (cached: names are analysed once)."""
    return tuple(tokens(text))
