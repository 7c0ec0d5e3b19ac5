"""Block YAML exactly as Helm's `toYaml` writes it, for the values it is sure of.

`toYaml` is sigs.k8s.io/yaml: JSON, read back and written by go-yaml v2 (map keys in
its natural order, sequences not indented under their key, strings plain unless they
would read as another type). A template that writes the synthesized value as text when
the values still hold it (`eq (toJson x) "..."`) spends a toJson instead of a toYaml,
a tenth of the cost, and must print the same bytes, or a reviewer's diff would flip
between the two. So this writes only what it can match byte for byte (ints, booleans,
and strings of letters, digits and `_./-` that read as strings) and returns None for
anything else; the template then always uses toYaml. A string that would read as a
number or a boolean is double-quoted, as go-yaml quotes it.
"""

from __future__ import annotations

import functools
import re

# go-yaml v2 reads these as booleans or null (resolve.go), so it quotes them as strings.
_YAML11_WORDS = {word for base in ("y", "yes", "n", "no", "true", "false", "on", "off", "null") for word in (base, base.capitalize(), base.upper())}
_LETTER_FIRST = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*")
_QUANTITY = re.compile(r"[0-9]+(\.[0-9]+)?[A-Za-z]+")  # 100m, 256Mi: no number, date or hex reading
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")  # a string go-yaml would read as a number: double-quoted
_MAX_INT = 1 << 53  # JSON numbers pass through float64 in Helm


def lines(value) -> list[str] | None:
    """The lines of `toYaml value` (no indentation of its own), or None when unsure."""
    if isinstance(value, dict) and value:
        return _mapping(value)
    if isinstance(value, list) and value:
        return _sequence(value)
    return None


def _mapping(node: dict) -> list[str] | None:
    if not all(isinstance(key, str) and _plain(key) for key in node):
        return None
    out = []
    for key in sorted(node, key=_natural_key):
        value = node[key]
        if isinstance(value, (dict, list)) and value:
            inner = lines(value)
            if inner is None:
                return None
            # go-yaml indents a mapping's entries by two, a sequence not at all.
            out += [f"{key}:", *(f"  {line}" if isinstance(value, dict) else line for line in inner)]
        else:
            text = _scalar(value)
            if text is None:
                return None
            out.append(f"{key}: {text}")
    return out


def _sequence(items: list) -> list[str] | None:
    out = []
    for item in items:
        if isinstance(item, dict) and item:
            inner = _mapping(item)
            if inner is None:
                return None
            out += [f"- {inner[0]}", *(f"  {line}" for line in inner[1:])]
        elif isinstance(item, list) and item:
            return None  # nested sequences: not in the values we render
        else:
            text = _scalar(item)
            if text is None:
                return None
            out.append(f"- {text}")
    return out


def _scalar(value) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < _MAX_INT else None
    if value == {}:
        return "{}"
    if value == []:
        return "[]"
    if isinstance(value, str):
        if _plain(value):
            return value
        if _NUMBER.fullmatch(value) or value in _YAML11_WORDS:
            return f'"{value}"'
    return None


def _plain(text: str) -> bool:
    """A string go-yaml writes plain: it reads back as the same string and has no indicator."""
    if _LETTER_FIRST.fullmatch(text):
        return text not in _YAML11_WORDS
    return bool(_QUANTITY.fullmatch(text))


def _less(a: str, b: str) -> bool:
    """go-yaml v2's key order, sorter.go keyList.Less, for ASCII string keys: at the first
    difference a non-letter sorts before a letter, and runs of digits compare as numbers."""
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x == y:
            continue
        if x.isalpha() and y.isalpha():
            return x < y
        if x.isalpha() or y.isalpha():
            return y.isalpha()
        an = bn = 0
        if x == "0" or y == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an, ai = an * 10 + int(a[ai]), ai + 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn, bi = bn * 10 + int(b[bi]), bi + 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return x < y
    return len(a) < len(b)


_natural_key = functools.cmp_to_key(lambda a, b: -1 if _less(a, b) else 1 if _less(b, a) else 0)
