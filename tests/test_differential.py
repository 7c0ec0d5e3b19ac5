"""Differential tests: the hand-written engines agree with the libraries they replace.

constructs_lib/spec/validate.py (a JSON Schema draft-07 subset checker) is compared with
jsonschema's Draft7Validator on generated schemas (nested ones, and one level deep
where the boundaries are reached often) and on real sub-schemas of the chart
schemas, with values drawn from each schema and then mutated, whole and part by
part; the chart schemas are held to the subset (keywords and shapes) on which the
two agree.
constructs_lib/fast_yaml.py is compared with PyYAML: its text loads back as the same
data with PyYAML's loaders, is the text of fast_yaml.pyyaml_dump, and differs from
plain CSafeDumper output only where fast_yaml means to (YAML 1.1 lookalikes).

Profiles as in test_properties.py (HYPOTHESIS_PROFILE, strategies.py): `ci`
derandomized, at least 300 cases per differential test; `local` random, 2000.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections import Counter
from functools import cache

import jsonschema
import pytest
import yaml
from conftest import EVERY_SHAPE_SPEC
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError
from strategies import INVALID_EXAMPLES, PROFILE

from constructs_lib import fast_yaml
from constructs_lib.cli import default_specs
from constructs_lib.pipeline import load_models
from constructs_lib.spec.parse import parse_spec
from constructs_lib.spec.validate import KEYWORDS, check

EXAMPLES = max(300, INVALID_EXAMPLES)  # per differential test
TYPES = ("object", "array", "string", "boolean", "integer", "number")
# Keys that annotate and never validate; `definitions` and `$schema` only at the root.
ANNOTATIONS = frozenset({"description", "title", "default", "examples", "$comment"})
ROOT_ONLY = frozenset({"$schema", "definitions"})
# What validate.py refuses in any string it checks against {"type": "string"}: text the
# chart cannot render literally (DEL, C1 controls, U+FFFE/FFFF, lone surrogates). Written
# here from its comment, not imported, so a change there shows up as a disagreement.
NOT_RENDERABLE = re.compile("[\u007f-\u009f\ufffe\uffff\ud800-\udfff]")


@cache
def chart_models() -> tuple:
    """The example charts and a chart with every feature and every kind of app."""
    return (*load_models(default_specs()), *parse_spec(EVERY_SHAPE_SPEC, "every-shape.yaml"))


def deref(schema: dict, root: dict) -> dict:
    """The schema a (chain of) `#/definitions/...` references stands for."""
    while "$ref" in schema:
        schema = root["definitions"][schema["$ref"].removeprefix("#/definitions/")]
    return schema


# ---------------------------------------------------------------- the subset


def schema_nodes(schema: dict, path: str = ""):
    """Every schema in a schema as (path, node); property and definition names are not keywords.
    propertyNames is not walked: shape_problems allows it only as {"pattern": ...}."""
    yield path, schema
    for group in ("properties", "definitions"):
        for name, sub in schema.get(group, {}).items():
            yield from schema_nodes(sub, f"{path}/{group}/{name}")
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            yield from schema_nodes(schema[key], f"{path}/{key}")
    for index, sub in enumerate(schema.get("anyOf", [])):
        yield from schema_nodes(sub, f"{path}/anyOf/{index}")


def python_type(value) -> str | None:
    return next((t for t in TYPES if _is_type(value, t)), None)


def _is_type(value, name: str) -> bool:
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int, "number": (int, float)}
    return isinstance(value, kinds[name]) and (name == "boolean" or not isinstance(value, bool))


def shape_problems(root: dict) -> list[str]:
    """Where a schema leaves the subset on which validate.check and Draft 7 agree.

    Besides the keywords, check() reads some keywords only in some company: anyOf and
    enum decide alone (a `type` beside them is allowed when it is implied), a `$ref`
    ignores its siblings (as Draft 7 does), object keywords are read only under
    type object, string ones under type string, and so on. propertyNames is read as
    {"pattern": ...} for the keys that additionalProperties (a schema) covers.
    """
    problems = []
    for path, node in schema_nodes(root):
        where = path or "/"
        keys = set(node) - ANNOTATIONS - (ROOT_ONLY if path == "" else set())
        if keys - KEYWORDS:
            problems.append(f"{where}: keywords validate.py does not implement: {sorted(keys - KEYWORDS)}")
        kind = node.get("type")
        if kind is not None and kind not in TYPES:
            problems.append(f"{where}: type {kind!r}")
        if "$ref" in node:
            name = node["$ref"].removeprefix("#/definitions/")
            if not node["$ref"].startswith("#/definitions/") or name not in root.get("definitions", {}) or re.search("[/~%]", name):
                problems.append(f"{where}: $ref {node['$ref']!r} is not the name of a definition")
            elif keys != {"$ref"}:
                problems.append(f"{where}: $ref beside {sorted(keys - {'$ref'})}")
            continue
        for word in ("anyOf", "enum"):
            if word in node and keys - {word, "type"}:
                problems.append(f"{where}: {word} beside {sorted(keys - {word, 'type'})}")
        if "anyOf" in node:
            if not isinstance(node["anyOf"], list) or not node["anyOf"]:
                problems.append(f"{where}: anyOf is not a non-empty list")
            elif kind and any(deref(option, root).get("type") != kind for option in node["anyOf"]):
                problems.append(f"{where}: type {kind} beside anyOf options of other types")
        if "enum" in node:
            members = node["enum"]
            if not isinstance(members, list) or not members or any(isinstance(v, (dict, list)) for v in members):
                problems.append(f"{where}: enum is not a non-empty list of scalars")
            elif kind and any(not _is_type(v, kind) for v in members):
                problems.append(f"{where}: enum members that are not of type {kind}")
            elif any(isinstance(v, str) and NOT_RENDERABLE.search(v) for v in members):
                problems.append(f"{where}: enum member check() would accept but a string schema refuses")
        for words, kinds in (
            (("properties", "required", "additionalProperties", "propertyNames"), ("object",)),
            (("items",), ("array",)),
            (("minLength", "maxLength", "pattern"), ("string",)),
            (("minimum", "maximum"), ("integer", "number")),
        ):
            for word in words:
                if word in node and kind not in kinds:
                    problems.append(f"{where}: {word} without type {' or '.join(kinds)}")
        if not isinstance(node.get("additionalProperties", True), (bool, dict)) or not isinstance(node.get("items", {}), dict):
            problems.append(f"{where}: additionalProperties or items of the wrong form")
        if not all(isinstance(k, str) for k in node.get("required", [])):
            problems.append(f"{where}: required holds a non-string")
        if "propertyNames" in node:
            names = node["propertyNames"]
            if set(names) != {"pattern"} or "properties" in node or not isinstance(node.get("additionalProperties"), dict):
                problems.append(f"{where}: propertyNames other than a pattern for the keys of a map")
    return problems


def test_every_keyword_of_every_chart_schema_is_implemented():
    models = chart_models()
    assert len(models) >= 8 and any("cronjob" in model.schema.get("definitions", {}) for model in models)
    used = Counter()
    for model in models:
        assert shape_problems(model.schema) == [], model.name
        for path, node in schema_nodes(model.schema):
            used.update(set(node) - ANNOTATIONS - (ROOT_ONLY if path == "" else set()))
    assert set(used) <= KEYWORDS, sorted(set(used) - KEYWORDS)
    # The walk reaches nested schemas (references, options, maps), so the test is not vacuous.
    assert {"$ref", "anyOf", "not", "enum", "items", "propertyNames", "pattern", "maximum"} <= set(used), used


def test_shape_problems_finds_what_leaves_the_subset():
    """The guard itself: each rule refuses an example of what it is about."""
    bad = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "format": "email"},
            "b": {"type": ["string", "null"]},
            "c": {"$ref": "#/definitions/missing"},
            "d": {"anyOf": [{"type": "string"}], "pattern": "x"},
            "e": {"enum": [1], "type": "string"},
            "f": {"minimum": 1},
            "g": {"type": "object", "properties": {"x": {}}, "additionalProperties": {}, "propertyNames": {"pattern": "x"}},
            "h": {"type": "object", "items": {}},
            "i": {"type": "string", "anyOf": [{"type": "integer"}]},
        },
    }
    problems = shape_problems(bad)
    for name in "abcdefghi":
        assert any(p.startswith(f"/properties/{name}:") for p in problems), (name, problems)


# ---------------------------------------------------------------- the reference validator


def _type(validator, types, instance, schema):
    yield from jsonschema.Draft7Validator.VALIDATORS["type"](validator, types, instance, schema)
    # Deliberate difference 1: validate.py refuses, in any string checked as a string,
    # characters the chart cannot render literally (see _NOT_RENDERABLE there); JSON
    # Schema accepts any text.
    if types == "string" and isinstance(instance, str) and NOT_RENDERABLE.search(instance):
        yield ValidationError(f"{instance!r} holds a character the chart cannot render")
    # Deliberate difference 2: a mapping with a key that is not a string (YAML allows
    # `1: x`) cannot be JSON; validate.py refuses it wherever an object is expected,
    # while jsonschema (on Python data) just never matches the key against anything.
    if types == "object" and isinstance(instance, dict) and not all(isinstance(key, str) for key in instance):
        yield ValidationError("a key that is not a string")


def _enum(validator, members, instance, schema):
    errors = list(jsonschema.Draft7Validator.VALIDATORS["enum"](validator, members, instance, schema))
    yield from errors
    # Deliberate difference 3: jsonschema counts 1.0 equal to 1 (JSON has one number
    # type); validate.py wants the member with the value's own type, as YAML read it.
    if not errors and not any(member == instance and type(member) is type(instance) for member in members):
        yield ValidationError(f"{instance!r} equals a member only across int and float")


def _pattern(validator, pattern, instance, schema):
    yield from jsonschema.Draft7Validator.VALIDATORS["pattern"](validator, pattern, instance, schema)
    # Deliberate difference 5: Helm checks patterns with Go's regexp, where `$` is the end
    # of the text; Python's `$` (and so jsonschema's) also matches before a final newline.
    go = re.compile(re.sub(r"(?<![\\\[])\$", r"\\Z", pattern))
    if isinstance(instance, str) and not go.search(instance) and re.search(pattern, instance):
        yield ValidationError(f"{instance!r} matches {pattern} only before its final newline")


# Deliberate difference 4: Draft 7 counts a float with an integral value (1.0) as an
# integer; validate.py goes by the type YAML gave the value, so 1.0 is a number only.
_INTEGER = jsonschema.Draft7Validator.TYPE_CHECKER.redefine(
    "integer", lambda checker, instance: isinstance(instance, int) and not isinstance(instance, bool)
)
Reference = jsonschema.validators.extend(
    jsonschema.Draft7Validator, validators={"type": _type, "enum": _enum, "pattern": _pattern}, type_checker=_INTEGER
)


def test_reference_differs_from_draft_7_only_as_documented():
    plain = jsonschema.Draft7Validator
    for schema, value in (
        ({"type": "string"}, "a\x7fb"),
        ({"type": "string"}, "a\u0085"),
        ({"type": "object"}, {1: "x"}),
        ({"enum": [1, "a"]}, 1.0),
        ({"type": "integer"}, 2.0),
        ({"type": "string", "pattern": "^[a-z]+$"}, "a\n"),
    ):
        assert plain(schema).is_valid(value) and not Reference(schema).is_valid(value), (schema, value)
        assert check(value, schema) != [], (schema, value)
    for schema, value in (({"type": "string"}, 1), ({"type": "integer"}, True), ({"enum": [1]}, True), ({"enum": [True]}, 1)):
        assert not plain(schema).is_valid(value) and not Reference(schema).is_valid(value), (schema, value)
    assert Reference({"type": "array"}).is_valid(["\x7f", {1: 2}, 1.0])  # only where a string, object or integer is expected


_references: dict[tuple[int, int], tuple] = {}


def reference_for(schema: dict, root: dict) -> jsonschema.protocols.Validator:
    """The reference validator of a schema (a sub-schema: with its root's definitions)."""
    key = (id(schema), id(root))
    if key not in _references:
        whole = schema if schema is root else {"definitions": root.get("definitions", {}), "allOf": [schema]}
        # Kept with the validator, so that the ids in the key stay theirs.
        _references[key] = (schema, root, Reference(whole))
    return _references[key][2]


def agree(value, schema: dict, root: dict | None = None) -> bool:
    """check() finds nothing exactly when the reference validator finds nothing; returns whether valid."""
    root = root or schema
    reference = reference_for(schema, root)
    expected = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in reference.iter_errors(value)]
    problems = check(value, schema, root)
    assert (problems == []) == (expected == []), {"check": problems, "jsonschema": expected[:5], "value": value, "schema": str(schema)[:2000]}
    return not problems


def pairs(value, schema: dict, root: dict):
    """(part of the value, schema) wherever check() judges a part against a schema: the
    value itself, each anyOf option and `not`, each item and property. Comparing each
    pair, not only the whole, keeps one error from hiding another."""
    yield value, schema
    node = deref(schema, root)
    for option in node.get("anyOf", []):
        yield from pairs(value, option, root)
    if "not" in node:
        yield from pairs(value, node["not"], root)
    if node.get("type") == "object" and isinstance(value, dict):
        extra = node.get("additionalProperties", True)
        for key, item in value.items():
            sub = node.get("properties", {}).get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                yield from pairs(item, sub, root)
    if node.get("type") == "array" and isinstance(value, list):
        for item in value:
            yield from pairs(item, node.get("items", {}), root)


def agree_everywhere(value, schema: dict, root: dict | None = None, most: int | None = None, random=None) -> bool:
    """agree() on the whole value and on its parts (at most `most` of them, picked by `random`)."""
    root = root or schema
    parts = list(pairs(value, schema, root))[1:]
    if most is not None and len(parts) > most:
        parts = random.sample(parts, most)
    for part, sub in parts:
        agree(part, sub, root)
    return agree(value, schema, root)


# ---------------------------------------------------------------- generated schemas


PATTERNS = st.one_of(
    st.sampled_from([r"^[a-z]+$", r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", r"[0-9]", r"^\S*$", r"^[^\n]*$", "x", r"^.{2}$", "é"]),
    st.deferred(
        lambda: st.sampled_from(sorted({node["pattern"] for m in chart_models() for _, node in schema_nodes(m.schema) if "pattern" in node}))
    ),
)
KEY_PATTERNS = st.sampled_from([r"^[a-z]+$", r"^[-._a-zA-Z][-._a-zA-Z0-9]*$", r"\.", "^$"])
NAMES = st.sampled_from(["a", "b", "name", "port", "x-y", "a.b", "ünï", "", "0", "enabled", "A"])
ENUM_MEMBERS = st.one_of(
    st.sampled_from(["a", "b", "", "Never", "on", "1", "true", "é"]),
    st.integers(-2, 2),
    st.booleans(),
    st.none(),
    st.sampled_from([0.5, -1.5, 2.0]),
)
TEXT = st.text(st.characters(exclude_characters="\x7f\ufffe\uffff", exclude_categories=("Cs", "Cc")), max_size=8) | st.text("ab -", max_size=4)
NUMBERS = st.integers(-5, 5) | st.sampled_from([0.5, -2.5, 10**20])


@st.composite
def leaf_schema(draw, defs: dict) -> dict:
    kinds = ["string", "integer", "number", "boolean", "enum", "any", "nothing"] + ["ref"] * bool(defs)
    kind = draw(st.sampled_from(kinds))
    if kind == "ref":
        return {"$ref": f"#/definitions/{draw(st.sampled_from(sorted(defs)))}"}
    if kind == "any":
        return {}
    if kind == "nothing":
        return {"not": {}}
    if kind == "enum":
        members = draw(st.lists(ENUM_MEMBERS, min_size=1, max_size=4, unique_by=lambda v: (type(v), v)))
        kinds = {python_type(v) for v in members}
        if len(kinds) == 1 and None not in kinds and draw(st.booleans()):
            return {"type": kinds.pop(), "enum": members}
        return {"enum": members}
    schema: dict = {"type": kind}
    if kind == "string":
        for word, values in (("minLength", st.integers(0, 3)), ("maxLength", st.integers(0, 12)), ("pattern", PATTERNS)):
            if draw(st.booleans()):
                schema[word] = draw(values)
    elif kind in ("integer", "number"):
        for word in ("minimum", "maximum"):
            if draw(st.booleans()):
                schema[word] = draw(NUMBERS if kind == "number" else st.integers(-5, 5) | st.just(2**63))
    return schema


@st.composite
def schema_node(draw, depth: int, defs: dict) -> dict:
    kind = draw(st.sampled_from(("leaf", "leaf", "object", "map", "array", "anyOf") if depth > 0 else ("leaf",)))
    if kind == "leaf":
        schema = draw(leaf_schema(defs))
    elif kind == "object":
        names = draw(st.lists(NAMES, max_size=4, unique=True))
        schema = {"type": "object", "properties": {name: draw(schema_node(depth - 1, defs)) for name in names}}
        required = draw(st.lists(st.sampled_from([*names, "missing"]), max_size=3, unique=True))
        if required:
            schema["required"] = required
        extra = draw(st.sampled_from(("absent", "true", "false", "schema")))
        if extra != "absent":
            schema["additionalProperties"] = {"true": True, "false": False}.get(extra) if extra != "schema" else draw(schema_node(depth - 1, defs))
    elif kind == "map":
        schema = {"type": "object", "additionalProperties": draw(schema_node(depth - 1, defs))}
        if draw(st.booleans()):
            schema["propertyNames"] = {"pattern": draw(KEY_PATTERNS)}
    elif kind == "array":
        schema = {"type": "array"}
        if draw(st.integers(0, 3)):
            schema["items"] = draw(schema_node(depth - 1, defs))
    else:
        options = draw(st.lists(schema_node(depth - 1, defs), min_size=1, max_size=4))
        schema = {"anyOf": options}
        kinds = {deref(option, {"definitions": defs}).get("type") for option in options}
        if len(kinds) == 1 and None not in kinds and draw(st.booleans()):
            schema["type"] = kinds.pop()
    if "type" in schema and "enum" not in schema and "anyOf" not in schema and not draw(st.integers(0, 4)):
        schema["not"] = draw(schema_node(0, defs))
    if "$ref" not in schema and not draw(st.integers(0, 3)):
        schema["description"] = "words"
    return schema


@st.composite
def generated_schema(draw) -> dict:
    """A schema in the subset; definitions may refer to earlier ones (chains, no cycles)."""
    defs: dict = {}
    for index in range(draw(st.integers(0, 3))):
        alias = defs and not draw(st.integers(0, 2))  # a definition that is another's name
        defs[f"d{index}.k8s-x"] = {"$ref": f"#/definitions/{draw(st.sampled_from(sorted(defs)))}"} if alias else draw(schema_node(1, dict(defs)))
    schema = draw(schema_node(3, defs))
    if "$ref" in schema:
        schema = {"anyOf": [schema]}
    if defs:
        schema["definitions"] = defs
    if draw(st.booleans()):
        schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return schema


# ---------------------------------------------------------------- values, drawn and mutated

JUNK_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-3, 3).map(float),
    st.floats(),
    st.text(max_size=6),
    st.sampled_from(["", "a", "\x7f", "a\x85", "\ud800", "\ufffe", "true", "1", "abc\n", "Never", "é"]),
)
JUNK = st.recursive(
    JUNK_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES | st.integers(0, 2), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def unrenderable_now_and_then(draw, text: st.SearchStrategy[str]) -> str:
    """Text from `text`, now and then with one character the chart cannot render."""
    drawn = draw(text)
    if drawn and not draw(st.integers(0, 7)):
        at = draw(st.integers(0, len(drawn) - 1))
        drawn = drawn[:at] + draw(st.sampled_from("\x7f\x80\x85\x9f\ufffe\uffff\ud800\udbff\udc00\udfff")) + drawn[at + 1 :]
    return drawn


@st.composite
def drawn_value(draw, schema: dict, root: dict, depth: int = 6):
    """A value drawn from the schema: often valid, not always (patterns with lengths, `not`)."""
    schema = deref(schema, root)
    if depth <= 0:
        return draw(JUNK_SCALARS)
    if "anyOf" in schema:
        return draw(drawn_value(draw(st.sampled_from(schema["anyOf"])), root, depth - 1))
    if "enum" in schema:
        return draw(st.sampled_from(schema["enum"]))
    kind = schema.get("type")
    if kind == "string":
        if "pattern" in schema:
            return draw(unrenderable_now_and_then(st.from_regex(schema["pattern"])))
        low = schema.get("minLength", 0)
        high = max(low, schema.get("maxLength", low + 6))
        edges = [size for size in (low - 1, low, high, high + 1) if size >= 0]  # on and just past each bound
        size = draw(st.sampled_from(edges) | st.integers(low, high))
        return draw(unrenderable_now_and_then(st.text("abcé -.0", min_size=size, max_size=size)))
    if kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        step = 1 if kind == "integer" else 0.5
        edges = [bound + delta for bound in (low, high) if bound is not None for delta in (-step, 0, step)]
        if low is not None and high is not None and low > high:
            inside = st.integers()
        elif kind == "integer":
            inside = st.integers(None if low is None else math.ceil(low), None if high is None else math.floor(high))
        else:
            inside = st.floats(low, high, allow_nan=False, allow_infinity=False)
        return draw(st.sampled_from(edges) | inside if edges else inside)
    if kind == "boolean":
        return draw(st.booleans())
    if kind == "array":
        return [draw(drawn_value(schema.get("items", {}), root, depth - 1)) for _ in range(draw(st.integers(0, 3)))]
    if kind == "object":
        required = schema.get("required", [])
        left_out = {key for key in required if not draw(st.integers(0, 7))}  # a required key missing, now and then
        value = {}
        for key, sub in schema.get("properties", {}).items():
            if key not in left_out and (key in required or draw(st.integers(0, 2))):
                value[key] = draw(drawn_value(sub, root, depth - 1))
        extra = schema.get("additionalProperties", True)
        if isinstance(extra, dict):
            names = st.from_regex(schema["propertyNames"]["pattern"]) if "propertyNames" in schema else TEXT
            for _ in range(draw(st.integers(0, 3))):
                value[draw(names)] = draw(drawn_value(extra, root, depth - 1))
        elif not draw(st.integers(0, 4)):  # a key of its own: allowed, or not (additionalProperties: false)
            value[draw(NAMES)] = draw(JUNK)
        for key in required:
            if key not in value and key not in left_out:
                value[key] = draw(JUNK)
        return value
    return draw(JUNK)  # no type: anything (also under {"not": {}})


def _slots(value, parent=None, key=None):
    """(container, key, node) of every node; the root's container is None."""
    yield parent, key, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _slots(v, value, k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _slots(v, value, i)


# What a value of another type most often is: a neighbour across type lines.
CONFUSERS = st.sampled_from([True, False, None, 0, 1, -1, 1.0, 0.5, "", "x", "1", "true", [], {}, 2**64])


@st.composite
def changed(draw, node):
    """One small change to a node: what a typo, a wrong type or a stray character does."""
    options = [JUNK, CONFUSERS]
    if isinstance(node, dict):
        if node:
            key = draw(st.sampled_from(list(node)))
            options.append(st.just({k: v for k, v in node.items() if k != key}))
            if isinstance(key, str):
                options.append(st.sampled_from([key + "x", key[:-1], key.upper(), "." + key, 1]).map(lambda new: {**node, new: node[key]}))
        options.append(st.tuples(NAMES | st.integers(0, 2), JUNK).map(lambda kv: {**node, kv[0]: kv[1]}))
    elif isinstance(node, list):
        options.append(JUNK.map(lambda item: [*node, item]))
        if node:
            options.append(st.just(node[1:]))
    elif isinstance(node, str):
        tweaks = [node + "x", node[:-1], node + "\x7f", "", node + "\n", " " + node, node * 40, node.upper(), node + "\ud800", node + "\u0085"]
        options.append(st.sampled_from(tweaks))
    elif isinstance(node, bool):
        options.append(st.sampled_from([int(node), str(node).lower(), float(node)]))
    elif isinstance(node, int):
        options.append(st.sampled_from([node + 1, node - 1, -node, float(node), str(node), node * 10**20, bool(node)]))
    elif isinstance(node, float):
        options.append(st.sampled_from([node + 0.5, -node, str(node)] + ([int(node)] if math.isfinite(node) else [])))
    return draw(st.one_of(options))


@st.composite
def mutated(draw, value, most: int = 2):
    """The value with up to `most` changes anywhere in it (none: the value as drawn)."""
    value = copy.deepcopy(value)
    for _ in range(draw(st.integers(0, most))):
        parent, key, node = draw(st.sampled_from(list(_slots(value))))
        new = draw(changed(node))
        if parent is None:
            value = new
        else:
            parent[key] = new
    return value


@st.composite
def generated_case(draw):
    """A generated schema and a few values drawn from it, each mutated or not."""
    schema = draw(generated_schema())
    return schema, [draw(mutated(draw(drawn_value(schema, schema)))) for _ in range(draw(st.integers(1, 3)))]


def test_check_agrees_with_draft_7_on_generated_schemas():
    outcomes = Counter()

    @settings(PROFILE, max_examples=EXAMPLES)
    @given(generated_case())
    def compare(case):
        schema, values = case
        assert shape_problems(schema) == [], schema  # the generator stays in the subset
        jsonschema.Draft7Validator.check_schema(schema)
        for value in values:
            outcomes[agree_everywhere(value, schema)] += 1

    compare()
    assert sum(outcomes.values()) >= EXAMPLES, outcomes
    assert min(outcomes[True], outcomes[False]) >= EXAMPLES // 10, outcomes  # both answers, often


@st.composite
def small_case(draw):
    """A schema one level deep and a value near it: boundaries are reached far more often."""
    schema = draw(schema_node(1, {}))
    return schema, draw(st.one_of(mutated(draw(drawn_value(schema, schema))), CONFUSERS, JUNK))


def test_check_agrees_with_draft_7_on_small_schemas():
    outcomes = Counter()

    @settings(PROFILE, max_examples=EXAMPLES)
    @given(small_case())
    def compare(case):
        schema, value = case
        assert shape_problems(schema) == [], schema
        outcomes[agree_everywhere(value, schema)] += 1

    compare()
    assert sum(outcomes.values()) >= EXAMPLES, outcomes
    assert min(outcomes[True], outcomes[False]) >= EXAMPLES // 10, outcomes


# ---------------------------------------------------------------- real chart schemas


@cache
def real_nodes() -> tuple:
    """(node, root) for every distinct sub-schema of the chart schemas (the roots: real_case)."""
    seen, nodes = set(), []
    for model in chart_models():
        for _, node in schema_nodes(model.schema):
            key = json.dumps(node, sort_keys=True)
            if "definitions" not in node and key not in seen:
                seen.add(key)
                nodes.append((node, model.schema))
    return tuple(nodes)


@st.composite
def real_case(draw):
    """A chart's own values, or a value drawn from one of its sub-schemas; then mutated."""
    if draw(st.integers(0, 2)) == 0:
        model = draw(st.sampled_from(chart_models()))
        return model.schema, model.schema, draw(mutated(model.values, most=3))
    node, root = draw(st.sampled_from(real_nodes()))
    return node, root, draw(mutated(draw(drawn_value(node, root))))


def test_the_charts_own_values_conform_for_both():
    for model in chart_models():
        jsonschema.Draft7Validator.check_schema(model.schema)
        assert agree(model.values, model.schema), model.name


def test_check_agrees_with_draft_7_on_the_chart_schemas():
    outcomes = Counter()

    @settings(PROFILE, max_examples=EXAMPLES)
    @given(real_case(), st.randoms(use_true_random=False))
    def compare(case, random):
        schema, root, value = case
        outcomes[agree_everywhere(value, schema, root, most=40, random=random)] += 1

    compare()
    assert sum(outcomes.values()) >= EXAMPLES, outcomes
    assert min(outcomes[True], outcomes[False]) >= EXAMPLES // 10, outcomes


# ---------------------------------------------------------------- fast_yaml against PyYAML

YAML_1_1_LOOKALIKES = ["", *["NO", "no", "No", "on", "On", "OFF", "y", "n", "Y", "yes", "true", "False", "null", "Null", "~"]]
NUMBER_LOOKALIKES = [
    "3.10",
    "0755",
    "08",
    "0x1f",
    "0o17",
    "0b101",
    "1e3",
    "+.5",
    "-1",
    "1_000",
    "12:30:00",
    "1:20",
    ".inf",
    "-.Inf",
    ".nan",
    "2026-11-30",
]
TRICKY_STRINGS = [
    *YAML_1_1_LOOKALIKES,
    *NUMBER_LOOKALIKES,
    *[
        "#",
        "a#b",
        "a:b",
        "-",
        "?",
        ":",
        "'",
        '"',
        "'a'",
        '"a"',
        "{}",
        "[]",
        "&a",
        "*a",
        "!t",
        "|",
        ">",
        "%x",
        "@x",
        "`x",
        "<<",
        "=",
        "é",
        "日本語",
        "🚀",
        "שלום",
    ],
    *[" ", " a", "a ", "a #b", "a: b", "- x", "{a: b}", "{{ .Release.Name }}", "x" * 300, "a " * 100],
    *["\n", "a\n", "a\nb", "a\r\nb", "\t", "a\tb", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\ufffe"],
]
# Any text PyYAML can write: everything but lone surrogates (which UTF-8 cannot encode;
# validate.py refuses them in specs before anything is written).
STRINGS = st.one_of(
    st.sampled_from(TRICKY_STRINGS),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.text(" -:#'\"\n\t{}[],&*!|>%@`?~aZ0.", max_size=8),
    st.text("abcxyz-_./0 é", max_size=10),  # mostly plain scalars
    st.text("ab \n\r\x85\u2028\u2029", min_size=1, max_size=4),  # each of YAML's line breaks
    st.lists(st.sampled_from(TRICKY_STRINGS), min_size=2, max_size=3).map("".join),
)
SCALARS = st.one_of(
    STRINGS,
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.sampled_from([0.0, -0.0, 1e17, 1e-7, 3.1, 1.0, float("inf"), float("-inf"), float("nan")]),
)
KEYS = st.one_of(STRINGS, st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False))
DATA = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=25)


@st.composite
def yaml_data(draw):
    """JSON-like data (dict, list, str, int, float, bool, None; any scalar as a key),
    sometimes with a container shared by two parents (PyYAML writes an anchor)."""
    data = draw(DATA)
    if draw(st.integers(0, 5)) == 5:  # (0 is what Hypothesis draws most)
        shared = draw(st.lists(SCALARS, min_size=1, max_size=2) | st.dictionaries(STRINGS, SCALARS, min_size=1, max_size=2))
        data = {"first": shared, "then": [data, shared]}
    return data


def same(a, b) -> bool:
    """Equal with types: True is not 1, 1.0 is not 1, -0.0 is not 0.0, NaN is NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(any(same(k, j) and same(v, w) for j, w in b.items()) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


LOADERS = [yaml.SafeLoader] + [yaml.CSafeLoader] * hasattr(yaml, "CSafeLoader")
PLAIN_CSAFE = {"Dumper": yaml.CSafeDumper, "sort_keys": False, "default_flow_style": False, "allow_unicode": True, "width": 2**20}


def strings_in(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from strings_in(key)
            yield from strings_in(value)
    elif isinstance(data, list):
        for item in data:
            yield from strings_in(item)


def dump_and_path(data) -> tuple[str, str]:
    """fast_yaml.dump(data), and whether it wrote the structure itself ("fast") or handed
    all of it to pyyaml_dump ("fallback": multi-line strings, anchors, scalars alone)."""
    whole = []
    original = fast_yaml.pyyaml_dump

    def spy(arg):
        if arg is data:
            whole.append(arg)
        return original(arg)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast_yaml, "pyyaml_dump", spy)
        text = fast_yaml.dump(data)
    return text, "fallback" if whole else "fast"


def test_fast_yaml_loads_back_as_the_same_data_and_is_pyyaml_dump():
    ran = Counter()

    @settings(PROFILE, max_examples=EXAMPLES)
    @given(yaml_data())
    def compare(data):
        text, path = dump_and_path(data)
        assert text == fast_yaml.pyyaml_dump(data)
        for loader in LOADERS:
            back = yaml.load(text, Loader=loader)
            assert same(back, data), (loader.__name__, text, back)
        ran[path] += 1

    compare()
    assert sum(ran.values()) >= EXAMPLES and min(ran["fast"], ran["fallback"]) >= EXAMPLES // 5, ran


def test_fast_yaml_is_plain_csafedumper_except_for_yaml_1_1_lookalikes():
    """The lookalikes (strings YAML 1.1 would read as booleans, numbers or null) are
    double-quoted; everything else is written as yaml.dump(..., Dumper=CSafeDumper)."""
    lookalike = fast_yaml._NOT_PLAIN_IN_YAML_1_1
    ran = Counter()

    @settings(PROFILE, max_examples=EXAMPLES)
    @given(yaml_data())
    def compare(data):
        strings = list(strings_in(data))
        for text in strings:
            if lookalike.match(text):
                assert fast_yaml.dump({"k": text}).startswith('k: "'), text
        if any(lookalike.match(text) for text in strings):
            ran["with lookalikes"] += 1
        else:
            text, path = dump_and_path(data)
            assert text == yaml.dump(data, **PLAIN_CSAFE)
            ran[f"identical ({path})"] += 1

    compare()
    assert sum(ran.values()) >= EXAMPLES and ran["identical (fast)"] >= EXAMPLES // 10, ran


@pytest.mark.parametrize("text", ["", "08", "1e3", "y", "on", "NO", "0755", "3.10", "~", "12:30:00"])
def test_fast_yaml_quotes_lookalikes_where_csafedumper_does_not_or_differently(text):
    written = fast_yaml.dump({"k": text})
    assert written == f'k: "{text}"\n'
    assert written != yaml.dump({"k": text}, **PLAIN_CSAFE)
    assert yaml.safe_load(written) == {"k": text}
