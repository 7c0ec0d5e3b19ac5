"""Safe loading of spec files: YAML (safe subset) or JSON, strict about what it accepts."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .errors import SpecError

try:  # libyaml is several times faster; PyYAML wheels ship it.
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure-Python fallback
    _BaseLoader = yaml.SafeLoader

MAX_FILE_BYTES = 8 * 1024 * 1024
# A spec's expanded size (nodes after resolving aliases). Real specs have a few
# thousand; an alias bomb has billions, so this stops it before construction.
MAX_EXPANDED_NODES = 1_000_000


class _DuplicateKey(Exception):
    def __init__(self, key, line):
        self.key, self.line = key, line


class _StrictLoader(_BaseLoader):
    """Safe loader that refuses duplicate keys instead of keeping the last one."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            if isinstance(key, (str, int, float, bool)):
                seen.add(key)
        return super().construct_mapping(node, deep)


def _expanded_size(root) -> int:
    """Node count with aliases expanded, memoised so shared nodes cost nothing to count."""
    sizes: dict[int, int] = {}

    def size(node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = MAX_EXPANDED_NODES + 1  # a cycle counts as too big
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(v) for v in node.value)
        else:
            total = 1
        sizes[id(node)] = min(total, MAX_EXPANDED_NODES + 1)
        return sizes[id(node)]

    return size(root)


def load_spec_file(path: Path) -> dict:
    """The spec document as plain data; SpecError naming the file for anything unusable."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError.one(name, "", f"cannot read file ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise SpecError.one(name, "", f"file is larger than {MAX_FILE_BYTES} bytes")
    if b"\0" in raw:
        raise SpecError.one(name, "", "binary file: expected a YAML or JSON text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError.one(name, "", f"not UTF-8 text (bad byte at offset {exc.start})") from None
    data = _parse_json(name, text) if path.suffix == ".json" else _parse_yaml(name, text)
    if data is None:
        raise SpecError.one(name, "", "empty document: expected a mapping with 'domain' and 'charts'")
    if not isinstance(data, dict):
        raise SpecError.one(name, "", f"expected a mapping with 'domain' and 'charts', got {type_name(data)}")
    return data


def _parse_json(name: str, text: str):
    def no_duplicates(pairs):
        out = {}
        for key, value in pairs:
            if key in out:
                raise SpecError.one(name, str(key), "duplicate key")
            out[key] = value
        return out

    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise SpecError.one(name, "", f"invalid JSON at line {exc.lineno}: {exc.msg}") from None


def _parse_yaml(name: str, text: str):
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_EXPANDED_NODES:
            raise SpecError.one(name, "", f"document expands to more than {MAX_EXPANDED_NODES} nodes (alias bomb?)")
        return loader.construct_document(node)
    except _DuplicateKey as dup:
        raise SpecError.one(name, str(dup.key), f"duplicate key (line {dup.line})") from None
    except yaml.MarkedYAMLError as exc:
        where = f" at line {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        raise SpecError.one(name, "", f"invalid YAML{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise SpecError.one(name, "", f"invalid YAML: {exc}") from None
    except RecursionError:
        raise SpecError.one(name, "", "document is nested too deeply") from None
    finally:
        loader.dispose()


def type_name(value) -> str:
    """The spec-facing name of a value's type, for messages."""
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)
