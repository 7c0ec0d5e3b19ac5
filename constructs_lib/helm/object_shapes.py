"""App templates of one shape → one named template in `_shapes.tpl`, called with each app's names.

Most apps' objects differ only in their names: a chart of 1000 apps had ~4000 templates
that Helm parsed and held, and that was most of its memory. Here each app template is
split into its shape (every name of the app, i.e. every run of name characters holding
the app's key, replaced by `{{ index $names N }}`, or `(index $names N)` inside an
action) and those names. A shape that two or more templates share is written once and
each template becomes one include of it; a shape of its own stays as it was.

The include passes the root context's keys, so the shape reads `.Values`, `.Release`
and `$` as the template did; rebuilding each template from its shape and names must give
back its text exactly, or it stays as it was.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

ROOT_KEYS = ("Values", "Release", "Chart", "Capabilities", "Template", "Files")
_NAME_RUN = r"[A-Za-z0-9._/-]*(?<![A-Za-z0-9]){key}(?![A-Za-z0-9])[A-Za-z0-9._/-]*"
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')  # Go string literals in an action
_PLACEHOLDER = re.compile(r"\{\{ index \$names (\d+) \}\}|\(index \$names (\d+)\)")


@dataclass(frozen=True)
class AppTemplate:
    path: str
    text: str
    app_key: str
    kind: str


def fold(chart_name: str, templates: list[AppTemplate]) -> tuple[dict[str, str], str]:
    """(path → new text for the folded templates, the text of `_shapes.tpl`)."""
    split = {t.path: _split(t) for t in templates}
    users: dict[str, list[AppTemplate]] = {}
    for t in templates:
        users.setdefault(split[t.path][0], []).append(t)
    texts, defines = {}, []
    for shape, sharing in users.items():
        if len(sharing) < 2:
            continue
        name = f"{chart_name}.{sharing[0].kind.lower()}.{hashlib.sha256(shape.encode()).hexdigest()[:8]}"
        defines.append((name, shape))
        for t in sharing:
            names = " ".join(json.dumps(n) for n in split[t.path][1])
            context = " ".join(f'"{key}" .{key}' for key in ROOT_KEYS)
            texts[t.path] = f'{{{{- include "{name}" (dict {context} "names" (list {names})) }}}}\n'
    helpers = "".join(f'{{{{- define "{name}" }}}}{{{{- $names := .names }}}}\n{shape}{{{{- end }}}}\n' for name, shape in sorted(defines))
    return texts, helpers


def _split(template: AppTemplate) -> tuple[str, tuple[str, ...]]:
    """(shape, names) of a template; (text, ()) when the shape does not give the text back."""
    run = re.compile(_NAME_RUN.format(key="(?:" + "|".join(map(re.escape, _keys(template.app_key))) + ")"))
    names: list[str] = []

    def index(name: str) -> int:
        if name not in names:
            names.append(name)
        return names.index(name)

    def in_action(action: str) -> str:
        def literal(m: re.Match) -> str:
            text = m.group(0)
            inner = text[1:-1]
            return f"(index $names {index(inner)})" if text[0] == '"' and run.fullmatch(inner) and json.dumps(inner) == text else text

        return _STRING.sub(literal, action)

    parts = []
    for is_action, piece in _pieces(template.text):
        parts.append(in_action(piece) if is_action else run.sub(lambda m: f"{{{{ index $names {index(m.group(0))} }}}}", piece))
    shape = "".join(parts)
    if _rebuild(shape, names) != template.text:
        return template.text, ()
    return shape, tuple(names)


def _keys(app_key: str) -> tuple[str, ...]:
    """The app's key as names carry it: as given, and dashed (DNS names)."""
    return tuple(dict.fromkeys((app_key, app_key.replace("_", "-"))))


def _pieces(text: str):
    """(is_action, text) in order; an action runs from `{{` to the `}}` outside its strings."""
    pos = 0
    while (start := text.find("{{", pos)) != -1:
        if start > pos:
            yield False, text[pos:start]
        end = start + 2
        while not text.startswith("}}", end):
            string = _STRING.match(text, end)
            end = string.end() if string else end + 1
            if end >= len(text):
                raise ValueError(f"unclosed action at {start}")
        yield True, text[start : end + 2]
        pos = end + 2
    if pos < len(text):
        yield False, text[pos:]


def _rebuild(shape: str, names: list[str]) -> str:
    return _PLACEHOLDER.sub(lambda m: names[int(m.group(1))] if m.group(1) else json.dumps(names[int(m.group(2))]), shape)
