"""Masking secrets out of text: the one rule every log line, error and message follows."""

from __future__ import annotations

MASK = "***"
# Shorter values would mask ordinary words and numbers by accident.
MIN_SECRET_LENGTH = 6


class Masker:
    """Replaces every secret it was told about with `***` (longest first)."""

    def __init__(self, secrets: tuple[str, ...] | list[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, value: str | None) -> None:
        """Mask `value` from now on (e.g. a token learned at run time)."""
        if value and len(value) >= MIN_SECRET_LENGTH:
            self._secrets.add(value)

    def mask(self, text: str) -> str:
        """`text` with every known secret replaced by ***."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text
