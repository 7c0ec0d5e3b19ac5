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

from .helm_templates import ROOT_KEYS

_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/-")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')  # Go string literals in an action
_ACTIONS = re.compile(r'\{\{(?:[^"`}]|"(?:[^"\\]|\\.)*"|`[^`]*`|\}(?!\}))*\}\}')  # `{{` to the `}}` outside strings
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
        shape, names = split[t.path]
        if names:  # a template without a name of its app keeps its text
            users.setdefault(shape, []).append(t)
    texts, defines = {}, []
    context = " ".join(f'"{key}" .{key}' for key in ROOT_KEYS)
    for shape, sharing in users.items():
        if len(sharing) < 2:
            continue
        name = f"{chart_name}.{sharing[0].kind.lower()}.{hashlib.sha256(shape.encode()).hexdigest()[:8]}"
        defines.append((name, shape))
        for t in sharing:
            names = " ".join(json.dumps(n) for n in split[t.path][1])
            texts[t.path] = f'{{{{- include "{name}" (dict {context} "names" (list {names})) }}}}\n'
    helpers = "".join(f'{{{{- define "{name}" }}}}{{{{- $names := .names }}}}\n{shape}{{{{- end }}}}\n' for name, shape in sorted(defines))
    return texts, helpers


def _split(template: AppTemplate) -> tuple[str, tuple[str, ...]]:
    """(shape, names) of a template; (text, ()) when the shape does not give the text back."""
    text = template.text
    actions = [m.span() for m in _ACTIONS.finditer(text)]
    names: list[str] = []
    edits = []  # (start, end, replacement), in order
    for start, end in _name_runs(text, template.app_key):
        run = text[start:end]
        if run not in names:
            names.append(run)
        action = next((span for span in actions if span[0] <= start < span[1]), None)
        if action is None:
            edits.append((start, end, f"{{{{ index $names {names.index(run)} }}}}"))
        elif (start - 1, end + 1) in {m.span() for m in _STRING.finditer(text, *action)} and text[start - 1] == '"':
            edits.append((start - 1, end + 1, f"(index $names {names.index(run)})"))
        else:
            return text, ()  # a name inside an action but not a whole string of it
    parts, last = [], 0
    for start, end, replacement in edits:
        parts += [text[last:start], replacement]
        last = end
    shape = "".join([*parts, text[last:]])
    if _rebuild(shape, names) != text:
        return text, ()
    return shape, tuple(names)


def _name_runs(text: str, app_key: str) -> list[tuple[int, int]]:
    """Spans of the runs of name characters that hold the app's key (as given, or dashed for
    DNS names) as a word of its own, in order."""
    spans = set()
    for key in dict.fromkeys((app_key, app_key.replace("_", "-"))):
        at = text.find(key)
        while at != -1:
            end = at + len(key)
            if not (at and text[at - 1].isalnum()) and not (end < len(text) and text[end].isalnum()):
                while at and text[at - 1] in _NAME_CHARS:
                    at -= 1
                while end < len(text) and text[end] in _NAME_CHARS:
                    end += 1
                spans.add((at, end))
            at = text.find(key, end)
    return sorted(spans)


def _rebuild(shape: str, names: list[str]) -> str:
    return _PLACEHOLDER.sub(lambda m: names[int(m.group(1))] if m.group(1) else json.dumps(names[int(m.group(2))]), shape)
