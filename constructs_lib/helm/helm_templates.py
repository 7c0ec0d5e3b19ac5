"""Synthesized object + bindings → one Helm template per object (no tpl).

Every literal is written as a YAML scalar that Helm cannot execute: strings are
JSON-quoted with `{{` escaped, so user text is data. Bound fields become
`{{ expr | toJson }}`, which handles numbers (values.yaml gives float64) and quoting.

The object's own fields stay in its template. Logic blocks of several lines (env,
probes, volumes, ...) are the same for every app, so each is written once into
`_helpers.tpl` and included: Helm parses and holds every template of a chart, and at
1000 apps the repeated blocks were most of its memory.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re

from ..constructs.bindings import Bound, Either, Guard, MapTail, Raw, Tail, Value, WithValue
from ..gojson import go_json
from . import go_yaml

_PLAIN = re.compile(r"^[A-Za-z/][A-Za-z0-9_./-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"}
# Characters JSON leaves raw that YAML treats as breaks or non-printable.
_YAML_UNSAFE = re.compile("[\u007f-\u009f\u2028\u2029\ufeff\ud800-\udfff]")
_MISSING = object()


def scalar(value) -> str:
    """A YAML scalar for a literal; strings are plain only when nothing could misread them."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return _string_scalar(str(value))


@functools.lru_cache(maxsize=1 << 16)
def _string_scalar(text: str) -> str:
    """Memoised: a 1000-app chart writes ~200k scalars, mostly the same few thousand strings."""
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    quoted = _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)
    return quoted.replace("{{", '{{ "{{" }}')


def _is_control(lines: list[str]) -> bool:
    return bool(lines) and lines[0].lstrip().startswith("{{")


# The keys of the root context Helm renders a template with.
ROOT_KEYS = ("Values", "Release", "Chart", "Capabilities", "Template", "Files")
# A block that reads the root context directly stays in its template (a define's `.` is its argument).
_ROOT_REFERENCE = re.compile(rf"(?<![\w$])\.({'|'.join(ROOT_KEYS)})\b|\$\.")
_VARIABLE = re.compile(r"\$(\w+)")
_ASSIGNED = re.compile(r"\$(\w+) :=")
SHARED_MIN_LINES = 3  # shorter blocks cost more to include than to parse in place
LITERAL_WHEN_UNCHANGED = True  # see _Emitter.as_yaml; tests turn it off to compare with toYaml's own text


class SharedBlocks:
    """The named templates of one chart's `_helpers.tpl`: body → name.

    A block is included with `$ctx`, a dict of the template's variables it reads
    (`$root` is the template's `$`); the define sets them again, so its lines run unchanged
    and render byte for byte what they would in place."""

    def __init__(self, chart_name: str):
        self.chart_name = chart_name
        self.names: dict[str, str] = {}
        self._seen: dict[tuple, tuple[list[str], tuple[str, ...]]] = {}  # apps repeat the same blocks

    def include(self, lines: list[str], label: str, variables: frozenset[str], used: set[str]) -> list[str]:
        key = (tuple(lines), label, variables)
        if key not in self._seen:
            self._seen[key] = self._include(lines, label, variables)
        out, reads = self._seen[key]
        used.update(reads)
        return out

    def _include(self, lines: list[str], label: str, variables: frozenset[str]) -> tuple[list[str], tuple[str, ...]]:
        text = "\n".join(lines)
        if len(lines) < SHARED_MIN_LINES or _ROOT_REFERENCE.search(text):
            return lines, ()
        reads = tuple(sorted(set(_VARIABLE.findall(text)) & variables))
        body = "".join(f"{{{{- ${name} := .{name} }}}}" for name in reads) + "\n" + text
        name = self.names.get(body)
        if name is None:
            digest = hashlib.sha256(body.encode()).hexdigest()[:8]
            name = self.names[body] = f"{self.chart_name}.{label.lstrip('@')}.{digest}"
        pad = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
        return [f'{pad}{{{{- include "{name}" $ctx }}}}'], reads

    def helpers(self) -> str:
        """`_helpers.tpl`, sorted by name."""
        return "".join(f'{{{{- define "{name}" }}}}{body}\n{{{{- end }}}}\n' for body, name in sorted(self.names.items(), key=lambda item: item[1]))


class _Emitter:
    def __init__(self, bindings: dict, shared: SharedBlocks | None = None, variables: frozenset = frozenset(), used: set | None = None):
        self.bindings = bindings
        self.shared = shared
        self.variables = variables  # the template's variables a shared block may read
        self.used: set[str] = set() if used is None else used
        self.extra: dict[tuple, list] = {}
        for path in bindings:
            self.extra.setdefault(path[:-1], []).append(path[-1])
            if all(isinstance(part, str) for part in path):  # mappings on the way that the synth may lack (labels of an object without any)
                for depth in range(len(path) - 1):
                    parents = self.extra.setdefault(path[:depth], [])
                    if path[depth] not in parents:
                        parents.append(path[depth])

    def mapping(self, node: dict, path: tuple, indent: int) -> list[str]:
        """The entries in the synth's order, so the rendered object reads like the synth."""
        keys = list(node) + [k for k in self.extra.get(path, ()) if k not in node]
        return [line for key in keys for line in self.entry(key, node.get(key, _MISSING), (*path, key), indent)]

    def entry(self, key, value, path: tuple, indent: int) -> list[str]:
        binding = self.bindings.get(path)
        pad = " " * indent
        if binding is None:
            return self.literal(key, value, path, indent)
        if isinstance(binding, Value):
            if isinstance(value, (dict, list)) and value:
                return self.block(self.as_yaml(key, binding.expr, value, indent), path)
            return [f"{pad}{scalar(key)}: {{{{ {binding.expr} | toJson }}}}"]
        if isinstance(binding, WithValue):
            inner = [f"{pad}{scalar(key)}: {{{{ toJson . }}}}"] if binding.scalar else self.as_yaml(key, ".", value, indent)
            return self.block([f"{pad}{{{{- with {binding.expr} }}}}", *inner, f"{pad}{{{{- end }}}}"], path)
        if isinstance(binding, Raw):
            return self.block(_lines(binding.lines, indent), path)
        if isinstance(binding, Either):
            given = [f"{pad}{scalar(key)}: {{{{- toYaml {binding.expr} | nindent {indent + 2} }}}}"]
            fallback = self.literal(key, binding.fallback, path, indent)
            return [f"{pad}{{{{- if {binding.expr} }}}}", *given, f"{pad}{{{{- else }}}}", *fallback, f"{pad}{{{{- end }}}}"]
        if isinstance(binding, Tail) and binding.keep == 0:
            lines = [f"{pad}{scalar(key)}:", *_lines(binding.lines, indent + 2, item_column=indent + 4)]
            return self.block([f"{pad}{{{{- if {binding.when} }}}}", *lines, f"{pad}{{{{- end }}}}"], path)
        if isinstance(binding, (Tail, MapTail)):
            return self.literal(key, value, path, indent, tail=binding)
        if isinstance(binding, Guard):
            inner = (
                self.literal(key, value, path, indent)
                if binding.inner is None
                else _Emitter({path: binding.inner}, self.shared, self.variables, self.used).entry(key, value, path, indent)
            )
            return [f"{pad}{{{{- if {binding.cond} }}}}", *inner, f"{pad}{{{{- end }}}}"]
        raise TypeError(f"unknown binding {binding!r}")

    def literal(self, key, value, path: tuple, indent: int, tail: Tail | MapTail | None = None) -> list[str]:
        pad = " " * indent
        if value is _MISSING and self.extra.get(path):
            value = {}  # a mapping only bindings fill
        if value is _MISSING:
            raise ValueError(f"binding at {path} needs content the object does not have")
        if isinstance(tail, MapTail):
            kept = {k: v for k, v in value.items() if k not in tail.exclude}
            return [f"{pad}{scalar(key)}:", *self.mapping(kept, path, indent + 2), *self.block(_lines(tail.lines, indent + 2), path)]
        if isinstance(value, dict) and (value or self.extra.get(path)):
            return [f"{pad}{scalar(key)}:", *self.mapping(value, path, indent + 2)]
        if isinstance(value, list) and (value or tail):
            lines = [f"{pad}{scalar(key)}:"]
            for index, item in enumerate(tail.literal_items(value) if tail else value):
                lines += self.item(item, (*path, index), indent + 2)
            return lines + (self.block(_lines(tail.lines, indent + 2, item_column=indent + 4), path) if tail else [])
        return [f"{pad}{scalar(key)}: {self.flow(value)}"]

    def item(self, item, path: tuple, indent: int) -> list[str]:
        pad = " " * indent
        if isinstance(item, dict) and item:
            lines = self.mapping(item, path, indent + 2)
            if _is_control(lines):  # `-` alone: the control line's `{{-` joins its output to it
                return [f"{pad}-", *lines]
            return [f"{pad}- {lines[0].lstrip()}", *lines[1:]]
        if isinstance(item, list) and item:
            raise ValueError(f"nested lists are not used in Kubernetes objects ({path})")
        return [f"{pad}- {self.flow(item)}"]

    @staticmethod
    def as_yaml(key, expr: str, synthesized, indent: int) -> list[str]:
        """`key:` with expr as block YAML (toYaml). While expr still equals the synthesized
        value, that value is written out as toYaml would write it: a toJson to compare
        costs a tenth of a toYaml, and most apps keep most defaults."""
        pad = " " * indent
        given = [f"{pad}{scalar(key)}: {{{{- toYaml {expr} | nindent {indent + 2} }}}}"]
        as_json = go_json(synthesized) if LITERAL_WHEN_UNCHANGED and isinstance(synthesized, (dict, list)) else None
        known = as_json and _go_yaml_lines(as_json)
        if not known:
            return given
        return [
            f"{pad}{{{{- if eq (toJson {expr}) {json.dumps(as_json)} }}}}",
            f"{pad}{scalar(key)}:",
            *(f"{pad}  {line}" for line in known),
            f"{pad}{{{{- else }}}}",
            *given,
            f"{pad}{{{{- end }}}}",
        ]

    def block(self, lines: list[str], path: tuple) -> list[str]:
        """Template lines, or one include of them when the chart shares blocks."""
        if self.shared is None:
            return lines
        label = next((part for part in reversed(path) if isinstance(part, str)), "block")
        return self.shared.include(lines, label, self.variables, self.used)

    @staticmethod
    def flow(value) -> str:
        if isinstance(value, dict):
            return "{}"
        if isinstance(value, list):
            return "[]"
        return scalar(value)


@functools.lru_cache(maxsize=1 << 12)
def _go_yaml_lines(as_json: str) -> tuple[str, ...] | None:
    """go_yaml.lines of a value given as its JSON: most apps share their values' defaults."""
    known = go_yaml.lines(json.loads(as_json))
    return None if known is None else tuple(known)


def _lines(lines: tuple[str, ...], indent: int, item_column: int | None = None) -> list[str]:
    """Template lines indented by `indent`, with @ITEM@ set to the column of a list item's keys
    (@ITEM+2@ two further), @CHILD@ to the column of the entry's own keys and @HERE@ to
    the entry's column."""
    column = indent + 4 if item_column is None else item_column
    tokens = {"@ITEM@": str(column), "@ITEM+2@": str(column + 2), "@CHILD@": str(indent + 2), "@HERE@": str(indent)}
    pad = " " * indent
    return [pad + (functools.reduce(lambda text, token: text.replace(token, tokens[token]), tokens, line) if "@" in line else line) for line in lines]


def render_template(obj: dict, bound: Bound, preamble: list[str], extra_bindings: dict, shared: SharedBlocks | None = None) -> str:
    """The template text of one object; `preamble` defines $global/$ingress/$app (and
    whatever else it sets with `$name :=`), each kept only where the template reads it."""
    bindings = {**extra_bindings, **bound.bindings}
    assignments = [*preamble, *(f"{{{{- ${name} := {expr} }}}}" for name, expr in bound.variables.items())]
    variables = frozenset({"root", *(name for line in assignments for name in _ASSIGNED.findall(line))})
    emitter = _Emitter(bindings, shared, variables)
    lines = emitter.mapping(obj, (), 0)
    if bound.guard:
        lines = [f"{{{{- if {bound.guard} }}}}", *lines, "{{- end }}"]
    if emitter.used:
        context = " ".join(f'"{name}" {"$" if name == "root" else f"${name}"}' for name in sorted(emitter.used))
        lines.insert(0, f"{{{{- $ctx := dict {context} }}}}")
    return "\n".join([*_read(assignments, "\n".join(lines)), *lines]) + "\n"


def _read(assignments: list[str], text: str) -> list[str]:
    """The assignments `text` reads, directly or through a later assignment."""
    kept: list[str] = []
    for line in reversed(assignments):
        (name,) = _ASSIGNED.findall(line)
        if re.search(rf"\${name}\b", text):
            kept.insert(0, line)
            text += line
    return kept
