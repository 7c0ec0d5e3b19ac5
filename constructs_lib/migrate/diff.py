"""`main.py diff OLD NEW`: compare two charts, packages or manifests files object by object.

Objects are matched by kind and name (and namespace with --strict); fields are
compared recursively. Lists of named items (containers, env, ports, volumes)
are matched by name, so reordering them is not a difference.

Exit codes: 0 equal, 1 different, 2 bad input, 3 internal error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from ..manifests import Identity, Noise, add_render_options, index_objects, is_chart, load_objects, normalize, render_options, show
from ..spec.errors import SpecError

EXIT_EQUAL, EXIT_DIFFERENT = 0, 1
# Keys that identify list items, tried in order: the first one every item of both
# lists has, with distinct values, wins (Kubernetes' strategic-merge keys, simplified).
LIST_KEYS = ("name", "mountPath", "containerPort", "port", "path")


class _Absent:
    """A field missing on one side (distinct from an explicit null)."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT = _Absent()


@dataclass(frozen=True)
class Item:
    """A path segment selecting the list item whose `key` equals `value`, shown `[name=app]`."""

    key: str
    value: object

    def __str__(self) -> str:
        return f"[{self.key}={self.value}]"


FieldPath = tuple  # of str (mapping key), int (list index) and Item


@dataclass(frozen=True)
class Change:
    path: FieldPath
    old: object  # ABSENT when the field is new
    new: object  # ABSENT when the field is gone


@dataclass(frozen=True)
class ObjectDiff:
    old: Identity
    new: Identity  # differs from `old` only when --match-renamed paired them
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Report:
    added: tuple[Identity, ...]
    removed: tuple[Identity, ...]
    changed: tuple[ObjectDiff, ...]
    unchanged: int

    @property
    def equal(self) -> bool:
        return not (self.added or self.removed or self.changed)


def compare(old, new, path: FieldPath = ()) -> list[Change]:
    """Every leaf-most difference between two JSON-like values."""
    if same_value(old, new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[Change] = []
        for key in [*old, *(k for k in new if k not in old)]:
            out += compare(old.get(key, ABSENT), new.get(key, ABSENT), (*path, key))
        return out
    if isinstance(old, list) and isinstance(new, list) and old and new and all(isinstance(i, dict) for i in (*old, *new)):
        return _compare_items(old, new, path)
    return [Change(path, old, new)]


def _compare_items(old: list[dict], new: list[dict], path: FieldPath) -> list[Change]:
    key = _list_key(old, new)
    if key and path[-1:] == ("containers",) and len(old) == len(new) == 1 and old[0][key] != new[0][key]:
        key = None  # a pod's only container, renamed, is still "the" container: compare it in place
    if key is None:
        size = max(len(old), len(new))
        padded = [(old[i] if i < len(old) else ABSENT, new[i] if i < len(new) else ABSENT) for i in range(size)]
        return [c for i, (o, n) in enumerate(padded) for c in compare(o, n, (*path, i))]
    old_by, new_by = {i[key]: i for i in old}, {i[key]: i for i in new}
    out: list[Change] = []
    for value in [*old_by, *(v for v in new_by if v not in old_by)]:
        out += compare(old_by.get(value, ABSENT), new_by.get(value, ABSENT), (*path, Item(key, value)))
    return out


def _list_key(old: list[dict], new: list[dict]) -> str | None:
    """The first LIST_KEYS key every item has as a distinct scalar (an HTTPRoute match's
    `path` is a mapping: such lists are compared by position)."""
    for key in LIST_KEYS:
        if all(isinstance(i.get(key), (str, int, float, bool)) for i in (*old, *new)):
            for items in (old, new):
                values = [json.dumps(i[key], sort_keys=True) for i in items]
                if len(set(values)) != len(values):
                    break
            else:
                return key
    return None


def same_value(a, b) -> bool:
    """Equality that keeps types apart where Kubernetes does (1 vs "1", 1 vs true)."""
    if isinstance(a, (bool, str)) or isinstance(b, (bool, str)):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return a == b and type(a) in (int, float, type(None)) and type(b) in (int, float, type(None))


def compare_objects(
    old: list[dict],
    new: list[dict],
    noise: Noise,
    sources: tuple[str, str] = ("old", "new"),
    namespace: str = "",
    match_renamed: bool = False,
) -> Report:
    """Added, removed and changed objects after removing `noise` from both sides.
    `namespace` stands in for a missing one when namespaces count (strict)."""
    fill = "" if noise.namespace else namespace
    old_index = index_objects([normalize(o, noise) for o in old], sources[0], fill)
    new_index = index_objects([normalize(o, noise) for o in new], sources[1], fill)
    changed, unchanged = [], 0
    for ident in old_index.keys() & new_index.keys():
        changes = compare(old_index[ident], new_index[ident])
        if changes:
            changed.append(ObjectDiff(ident, ident, tuple(changes)))
        else:
            unchanged += 1
    added = [i for i in new_index if i not in old_index]
    removed = [i for i in old_index if i not in new_index]
    if match_renamed:
        pairs = _renamed_pairs(removed, added, old_index, new_index)
        changed += pairs
        removed = [i for i in removed if i not in {p.old for p in pairs}]
        added = [i for i in added if i not in {p.new for p in pairs}]
    return Report(tuple(sorted(added)), tuple(sorted(removed)), tuple(sorted(changed, key=lambda d: (d.old, d.new))), unchanged)


def _renamed_pairs(removed: list[Identity], added: list[Identity], old_index: dict, new_index: dict) -> list[ObjectDiff]:
    """Pair removed and added objects of the same kind, most similar first (fewest changed fields)."""
    candidates = []
    for old in removed:
        for new in added:
            if old[0] == new[0]:
                changes = compare(old_index[old], new_index[new])
                candidates.append((len(changes), old, new, changes))
    pairs, used = [], set()
    for _, old, new, changes in sorted(candidates, key=lambda c: (c[0], c[1], c[2])):
        if old not in used and new not in used:
            used |= {old, new}
            pairs.append(ObjectDiff(old, new, tuple(changes)))
    return pairs


def format_path(path: FieldPath) -> str:
    """`spec.template.spec.containers[name=app].env[name=X].value`; odd keys as `["app.kubernetes.io/name"]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, Item):
            out += str(part)
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def _value(value) -> str:
    return "(absent)" if value is ABSENT else json.dumps(value, sort_keys=True, ensure_ascii=False)


def text_report(report: Report, old_name: str, new_name: str) -> str:
    lines = [f"--- {old_name}", f"+++ {new_name}"]
    lines += [f"- removed {show(i)}" for i in report.removed]
    lines += [f"+ added   {show(i)}" for i in report.added]
    for diff in report.changed:
        renamed = f" -> {diff.new[2]}" if diff.new != diff.old else ""
        lines.append(f"~ changed {show(diff.old)}{renamed}")
        lines += [f"    {format_path(c.path)}: {_value(c.old)} -> {_value(c.new)}" for c in diff.changes]
    counts = f"{len(report.added)} added, {len(report.removed)} removed, {len(report.changed)} changed, {report.unchanged} unchanged"
    lines.append(("no differences: " if report.equal else "") + counts)
    return "\n".join(lines) + "\n"


def json_report(report: Report, old_name: str, new_name: str) -> str:
    def ident(i: Identity) -> dict:
        kind, namespace, name = i
        return {"kind": kind, "name": name, **({"namespace": namespace} if namespace else {})}

    def change(c: Change) -> dict:
        values = {k: v for k, v in (("old", c.old), ("new", c.new)) if v is not ABSENT}
        return {"path": format_path(c.path), **values}

    def changed(d: ObjectDiff) -> dict:
        renamed = {"oldName": d.old[2]} if d.new != d.old else {}
        return {**ident(d.new), **renamed, "changes": [change(c) for c in d.changes]}

    document = {
        "old": old_name,
        "new": new_name,
        "equal": report.equal,
        "added": [ident(i) for i in report.added],
        "removed": [ident(i) for i in report.removed],
        "changed": [changed(d) for d in report.changed],
        "unchanged": report.unchanged,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="main.py diff",
        description="Compare two charts (directory or .tgz, rendered with helm template) or manifests files. "
        "Exit 0 when equal, 1 when different, 2 on bad input.",
    )
    p.add_argument("old", help="chart directory, .tgz, or manifests file (multi-document YAML)")
    p.add_argument("new", help="chart directory, .tgz, or manifests file")
    p.add_argument("--output", choices=("text", "json"), default="text", help="report format (default: text)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="also compare release labels (helm.sh/chart, app.kubernetes.io/managed-by, app.kubernetes.io/instance), "
        "Helm ownership annotations and metadata.namespace",
    )
    p.add_argument("--ignore-label", action="append", default=[], metavar="KEY", help="ignore this label everywhere in metadata (repeatable)")
    p.add_argument("--ignore-annotation", action="append", default=[], metavar="KEY", help="ignore this annotation (repeatable)")
    p.add_argument("--match-renamed", action="store_true", help="pair removed and added objects of the same kind and show their field differences")
    p.add_argument("--old-values", action="append", default=[], metavar="FILE", help="values file for the old chart only (repeatable)")
    p.add_argument("--new-values", action="append", default=[], metavar="FILE", help="values file for the new chart only (repeatable)")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    add_render_options(p)
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    options = render_options(args)
    charts = {side: is_chart(Path(getattr(args, side))) for side in ("old", "new")}
    for given, sides, flag in (
        (options.values or options.set_values, ("old", "new"), "-f/--set"),
        (args.old_values, ("old",), "--old-values"),
        (args.new_values, ("new",), "--new-values"),
    ):
        if given and not any(charts[s] for s in sides):
            raise SpecError.one(getattr(args, sides[0]), flag, "values apply to charts only, and this is a manifests file")
    old = load_objects(args.old, replace(options, values=(*options.values, *args.old_values)))
    new = load_objects(args.new, replace(options, values=(*options.values, *args.new_values)))
    noise = Noise.strict(args.ignore_label, args.ignore_annotation) if args.strict else Noise().plus(args.ignore_label, args.ignore_annotation)
    report = compare_objects(old, new, noise, (args.old, args.new), options.namespace, args.match_renamed)
    output = json_report if args.output == "json" else text_report
    sys.stdout.write(output(report, args.old, args.new))
    return EXIT_EQUAL if report.equal else EXIT_DIFFERENT
