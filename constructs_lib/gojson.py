"""JSON exactly as Go's encoding/json (Helm's `toJson`) writes it, for hashes both sides agree on."""

from __future__ import annotations

import json

_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_TABLE = str.maketrans(_GO_ESCAPES)


def go_json(value) -> str:
    """Compact, map keys sorted, HTML characters escaped as Go does.

    Only ints, strings, booleans, lists and dicts occur in our values; Go prints
    float64 3.0 (how Helm reads values.yaml numbers) as `3`, like Python's int.
    """
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return text.translate(_TABLE)
