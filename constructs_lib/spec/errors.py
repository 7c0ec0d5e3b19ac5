"""One error contract for the CLI, the library and the Bazel path."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (file and key path) and what was expected."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return one_line(f"{self.file}: {self.key or '<document>'}: {self.message}")


def one_line(text: str) -> str:
    """User text (keys, values) can hold line breaks and terminal escapes: show those escaped,
    so a problem is always exactly one line and cannot fake another."""
    return text if text.isprintable() else "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


class SpecError(Exception):
    """Bad input. Carries one or more problems; the CLI prints one line each and exits 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.key, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def one(cls, file: str, key: str, message: str) -> SpecError:
        return cls([Problem(file, key, message)])


def did_you_mean(word: str, choices) -> str:
    """A ' (did you mean X?)' hint for a misspelled key, or ''."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def join_key(base: str, *parts) -> str:
    """`base` (a key path already) extended by raw keys: list indexes as `[0]`, dotted keys quoted."""
    out = base
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = f'"{part}"' if "." in str(part) or not str(part) else str(part)
            out = f"{out}.{text}" if out else text
    return out
