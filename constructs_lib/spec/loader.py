"""Safe loading of spec files: YAML (safe subset) or JSON, strict about what it accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from .errors import SpecError, join_key

try:  # libyaml is several times faster; PyYAML wheels ship it.
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure-Python fallback
    _BaseLoader = yaml.SafeLoader

MAX_FILE_BYTES = 8 * 1024 * 1024
# A spec's expanded size (nodes after resolving aliases). Real specs have a few
# thousand; an alias bomb has billions, so this stops it before construction.
MAX_EXPANDED_NODES = 1_000_000
# Aliases may repeat nodes (merge keys, shared blocks), but not multiply a small
# file into a huge document: a few hundred KB of aliases below the absolute cap
# still cost seconds and hundreds of MB downstream.
MAX_ALIAS_GROWTH = 100_000  # expanded nodes beyond 10x the nodes actually written
# Real specs nest about 8 levels. libyaml composes recursively in C, so a few
# ten thousand `[` crash the interpreter (no RecursionError): check before composing.
MAX_DEPTH = 100
_MERGE_TAG = "tag:yaml.org,2002:merge"
# A plain scalar is read as null, a boolean or a number only in the form that
# prints back as the same text; everything else (3.10, NO, on, 0755, 12:30:00,
# 1e3, True, 2024-01-01) keeps the text written. YAML 1.1 would turn those into 3.1,
# false, True, 493, 45000, 1000.0 and a date: silently changed env values and tags.
_NULLS = ("", "~", "null")
_BOOLEANS = ("true", "false")
_INTEGER = re.compile(r"^-?(0|[1-9][0-9]*)$")
_DECIMAL = re.compile(r"^-?(0|[1-9][0-9]*)\.[0-9]+$")


def plain_scalar_tag(text: str) -> str:
    """The tag a plain (unquoted) scalar gets: text unless its value reads back the same."""
    if text in _NULLS:
        return "tag:yaml.org,2002:null"
    if text in _BOOLEANS:
        return "tag:yaml.org,2002:bool"
    if _INTEGER.match(text):
        return "tag:yaml.org,2002:int"
    if _DECIMAL.match(text) and written_float(text) is not None:
        return "tag:yaml.org,2002:float"
    if text == "<<":
        return _MERGE_TAG
    return "tag:yaml.org,2002:str"


def written_float(text: str) -> float | None:
    """The number `text` denotes when Python prints it back as `text` (0.5, not 3.10)."""
    number = float(text)
    return number if repr(number) == text else None


_YAML_11 = yaml.resolver.Resolver()  # PyYAML's own rules, for comparison


def kept_as_text(text: str) -> bool:
    """Whether this text, written plain, is text here but a number, boolean or date in YAML 1.1 (for hints)."""
    text_tag = "tag:yaml.org,2002:str"
    return plain_scalar_tag(text) == text_tag and _YAML_11.resolve(yaml.ScalarNode, text, (True, False)) != text_tag


class _DuplicateKey(Exception):
    def __init__(self, mapping, key, line):
        self.mapping, self.key, self.line = mapping, key, line


class _StrictLoader(_BaseLoader):
    """Safe loader that refuses duplicate keys instead of keeping the last one and
    reads plain scalars as `plain_scalar_tag` says."""

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode and implicit[0]:
            return plain_scalar_tag(value)
        return super().resolve(kind, value, implicit)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:  # `<<: *base` merges; flatten_mapping handles it
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise _DuplicateKey(node, _node_key(key_node), key_node.start_mark.line + 1)
            if isinstance(key, (str, int, float, bool)):
                seen.add(key)
        return super().construct_mapping(node, deep)


def _expansion_limit(distinct: int) -> int:
    return min(MAX_EXPANDED_NODES, MAX_ALIAS_GROWTH + 10 * distinct)


def _expanded_size(root) -> tuple[int, int]:
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

    return size(root), len(sizes)


def _node_key(node):
    return node.value if isinstance(node, yaml.ScalarNode) else "?"


def _path_to(root, target) -> tuple:
    """Key path from the document root to `target` (a node), for messages."""
    stack, seen = [(root, ())], set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack += [(v, (*path, _node_key(k))) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(v, (*path, i)) for i, v in enumerate(node.value)]
    return ()


def _too_deep(text: str) -> bool:
    """Whether collections nest deeper than MAX_DEPTH (libyaml's event stream is not recursive)."""
    depth = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return False


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


_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON may escape one; UTF-8 cannot encode it


class _Pairs(list):
    """A JSON object as read, before duplicate keys are checked with their path."""


def _parse_json(name: str, text: str):
    def to_data(value, path: tuple):
        if len(path) > MAX_DEPTH:
            raise SpecError.one(name, "", f"document nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, str) and _SURROGATE.search(value):
            raise SpecError.one(name, join_key("", *path), "invalid \\u escape: a lone surrogate is not a character")
        if isinstance(value, _Pairs):
            out = {}
            for key, item in value:
                if _SURROGATE.search(key):
                    raise SpecError.one(name, join_key("", *path), "invalid \\u escape in a key: a lone surrogate is not a character")
                if key in out:
                    raise SpecError.one(name, join_key("", *path, key), "duplicate key")
                out[key] = to_data(item, (*path, key))
            return out
        if isinstance(value, list):
            return [to_data(item, (*path, index)) for index, item in enumerate(value)]
        return value

    try:
        return to_data(json.loads(text, object_pairs_hook=_Pairs, parse_float=_json_number), ())
    except json.JSONDecodeError as exc:
        raise SpecError.one(name, "", f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise SpecError.one(name, "", f"document nests deeper than {MAX_DEPTH} levels") from None


def _json_number(text: str) -> float | str:
    """A JSON number with a fraction or exponent, kept as text unless it prints back the same."""
    number = written_float(text)
    return text if number is None else number


def _parse_yaml(name: str, text: str):
    loader = _StrictLoader(text)
    node = None
    try:
        if _too_deep(text):
            raise SpecError.one(name, "", f"document nests deeper than {MAX_DEPTH} levels")
        node = loader.get_single_node()
        if node is None:
            return None
        expanded, distinct = _expanded_size(node)
        if expanded > _expansion_limit(distinct):
            raise SpecError.one(name, "", f"aliases expand {distinct} nodes to more than {_expansion_limit(distinct)} (alias bomb?)")
        return loader.construct_document(node)
    except _DuplicateKey as dup:
        raise SpecError.one(name, join_key("", *_path_to(node, dup.mapping), dup.key), f"duplicate key (line {dup.line})") from None
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
