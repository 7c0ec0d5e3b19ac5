"""User text is data: template syntax, YAML syntax and odd unicode render literally with real Helm.

Each payload is put in every user-controlled field that takes free text (env,
global.env, pod and ingress annotations, command and args,
the suffix of healthPath, ingress path and metrics path, a job's env, which also
feeds the job's name hash, and the chart description), rendered with
`helm template` on Helm 3 and 4, and read back: every field equals the payload,
and the whole render equals the synth. The description is written literally to
Chart.yaml; Helm itself replaces spaces and drops unprintable characters in chart
metadata when it loads a chart, so `helm show chart` is compared with that.
Host names, image names and nodeSelector values (label values) must be valid,
so they carry no payload.
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from pathlib import Path

import pytest
import yaml
from conftest import by_identity, render, run_helm, strip_release_fields

from constructs_lib.manifests import load_documents
from constructs_lib.pipeline import build_all, write_outputs
from constructs_lib.spec.errors import SpecError
from constructs_lib.spec.parse import parse_spec

PAYLOADS = {
    "release-name": "{{ .Release.Name }}",
    "open": "{{",
    "close": "}}",
    "fail": '{{ fail "injected" }}',
    "values": "{{ .Values | toYaml }}",
    "escaped": '{{ "{{" }}',
    "trim": "{{- /* c */ -}}",
    "printf": "%s %d %v %%",
    "colon": "key: value",
    "hash": "# not a comment",
    "alias": "*alias",
    "anchor": "&anchor x",
    "tag": "!!str tagged",
    "literal-block": "| block",
    "folded-block": "> folded",
    "quotes": "'single' \"double\" `back`",
    "flow": "[a, {b: c}]",
    "document": "---\n...",
    "newlines": "line one\nline two\n",
    "crlf": "a\r\nb",
    "tabs": "\ta\tb\t",
    "spaces": "  padded  ",
    "backslashes": "C:\\path\\n\\u0041",
    "html": "<script>&amp;</script>",
    "shell": "$HOME ${X} $(VAR) `id`",
    "controls": "\x00\x01\x08\x0c\x1b",
    "emoji": "🚀 ✨ 👩‍👩‍👧",
    "rtl": "\u202eevil\u202c שלום مرحبا",
    "line-separators": "a\u2028b\u2029c",
    "zero-width": "a\u200bb\u200cc\u200dd\ufeffe",
    "combining": "e\u0301 n\u0303",
    "astral": "\U0001d54f \U00010348 \U0010fffd",
    "private-use": "\ue000\uf8ff",
    "long": ("{{ .Release.Name }} héllo 🚀 " * 400)[:10000],
    "long-plain": "x" * 10000,
}
# Inputs the generator refuses because the chart could not render them literally
# (see constructs_lib.spec.validate): NEL is a YAML line break, the rest YAML refuses.
REFUSED = {"nel": "a\u0085b", "del": "a\x7fb", "c1": "a\x9bb", "noncharacter": "a\ufffeb"}


# Go's unicode.IsSpace beyond Latin-1 (the White_Space property).
_GO_SPACES = set("\t\n\v\f\r \u0085\u00a0\u1680\u2028\u2029\u202f\u205f\u3000") | {chr(c) for c in range(0x2000, 0x200B)}


def helm_sanitized(text: str) -> str:
    """Chart metadata as Helm keeps it (chart.Metadata.Validate, sanitizeString): spaces become
    ' ', what Go's unicode.IsPrint refuses (controls, format characters such as U+200D and
    U+202E, private use) is dropped, so `helm show` and `helm search` cannot emit escapes."""
    out = []
    for char in text:
        if char in _GO_SPACES:
            out.append(" ")
        elif unicodedata.category(char)[0] in "LMNPS":
            out.append(char)
    return "".join(out)


def spec_with(text: str) -> dict:
    return {
        "domain": "shop",
        "charts": {
            "web": {
                "description": text,
                "features": {"ingress": True, "metrics": True},
                "apps": {
                    "cart_api": {
                        "env": {"TEXT": text},
                        "podAnnotations": {"example.com/text": text},
                        "command": [text],
                        "args": [text, "--flag"],
                        "healthPath": "/health" + text,
                        "ingress": {"path": "/cart" + text},
                        "metrics": {"path": "/metrics" + text},
                    },
                    "report_job": {"type": "job", "env": {"TEXT": text}, "command": ["report", text]},
                },
                "custom_values": {
                    "global.env.GLOBAL_TEXT": text,
                    "ingress.annotations": {"example.com/text": text},
                    "ingress.host": "shop.example.com",
                },
            }
        },
    }


@cache
def built(name: str, text: str, outdir: str):
    (build,) = build_all(parse_spec(spec_with(text), f"{name}.yaml"))
    out = Path(outdir) / name
    write_outputs([build], out)
    return build, out / "charts" / build.model.name


@pytest.fixture(scope="module")
def outdir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("injection"))


def one(objects, kind):
    (obj,) = (o for o in objects if o["kind"] == kind)
    return obj


@pytest.mark.parametrize("name", PAYLOADS)
def test_text_renders_literally_in_every_field(helm, outdir, name):
    text = PAYLOADS[name]
    build, chart = built(name, text, outdir)
    objects = render(helm, chart)
    deployment, job = one(objects, "Deployment"), one(objects, "Job")
    pod = deployment["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    assert {e["name"]: e["value"] for e in container["env"]} == {"TEXT": text, "GLOBAL_TEXT": text}
    assert pod["metadata"]["annotations"]["example.com/text"] == text
    assert container["command"] == [text]
    assert container["args"] == [text, "--flag"]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["path"] == "/health" + text
    ingress = one(objects, "Ingress")
    assert ingress["metadata"]["annotations"]["example.com/text"] == text
    assert [p["path"] for p in ingress["spec"]["rules"][0]["http"]["paths"]] == ["/cart" + text]
    assert one(objects, "ServiceMonitor")["spec"]["endpoints"][0]["path"] == "/metrics" + text
    (job_container,) = job["spec"]["template"]["spec"]["containers"]
    assert {e["name"]: e["value"] for e in job_container["env"]} == {"TEXT": text, "GLOBAL_TEXT": text}
    assert job_container["command"] == ["report", text]
    # Everything else too, the job's name (a hash of its values, computed by Helm) included.
    rendered = by_identity([strip_release_fields(o) for o in objects])
    assert rendered == by_identity(build.objects)
    # Chart.yaml carries the description literally; Helm then sanitizes it on load.
    assert yaml.safe_load((chart / "Chart.yaml").read_text())["description"] == text
    shown = yaml.safe_load(run_helm(helm, "show", "chart", chart).stdout)
    assert shown.get("description", "") == helm_sanitized(text)


@pytest.mark.parametrize("name", REFUSED)
def test_text_the_chart_cannot_render_is_refused_at_each_key(name):
    with pytest.raises(SpecError) as err:
        parse_spec(spec_with(REFUSED[name]), "spec.yaml")
    app, job, custom = "charts.web.apps.cart_api", "charts.web.apps.report_job", "charts.web.custom_values"
    assert sorted(p.key for p in err.value.problems) == sorted(
        [
            f"{app}.env.TEXT",
            f'{app}.podAnnotations."example.com/text"',
            f"{app}.command[0]",
            f"{app}.args[0]",
            f"{app}.healthPath",
            f"{app}.ingress.path",
            f"{app}.metrics.path",
            f"{job}.env.TEXT",
            f"{job}.command[1]",
            f'{custom}."global.env.GLOBAL_TEXT"',
            f'{custom}."ingress.annotations"."example.com/text"',
        ]
    )
    assert all("which the chart cannot render literally" in p.message for p in err.value.problems)


SET_TEXTS = ["{{ .Release.Name }}", "{{", "}}", '{{ fail "injected" }}', "a: b # c, d=e", "{{- .Values -}}", "héllo 🚀", "\\{{ x }}"]


def set_escaped(text: str) -> str:
    """--set-string parses `{a,b}` as a list and splits on commas: backslash-escape those."""
    return "".join("\\" + c if c in "\\,{}" else c for c in text)


def test_set_string_set_literal_and_values_files_render_literally(helm, outdir, tmp_path):
    """Values given at install time are data too, whichever way they arrive."""
    _, chart = built("plain", "plain", outdir)
    args = []
    for index, text in enumerate(SET_TEXTS):
        args += ["--set-string", f"global.env.SET_{index}={set_escaped(text)}", "--set-literal", f"global.env.LITERAL_{index}={text}"]
    app = {"env": {f"FILE_{i}": t for i, t in enumerate(SET_TEXTS)}, "podAnnotations": {"example.com/t": SET_TEXTS[0]}}
    values_file = tmp_path / "values.yaml"
    values_file.write_text(json.dumps({"shop": {"apps": {"cart_api": app}}}, ensure_ascii=False))  # JSON is YAML, strings quoted
    objects = render(helm, chart, *args, "-f", values_file)
    deployment = one(objects, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    for index, text in enumerate(SET_TEXTS):
        assert env[f"SET_{index}"] == env[f"LITERAL_{index}"] == env[f"FILE_{index}"] == text
    assert deployment["spec"]["template"]["metadata"]["annotations"]["example.com/t"] == SET_TEXTS[0]


# ---- strings and keys YAML 1.1 would read as booleans or numbers stay strings ----


@pytest.mark.parametrize("text", ["y", "N", "1e3", "0o17", "08", "+.5"])
def test_yaml_1_1_scalars_in_values_yaml_stay_strings(helm, outdir, text):
    build, chart = built(f"yaml11-{text}", text, outdir)
    objects = render(helm, chart)
    assert by_identity([strip_release_fields(o) for o in objects]) == by_identity(build.objects)


@pytest.mark.parametrize("where", ["env-name", "app-name"])
def test_yaml_1_1_keys_in_values_yaml_stay_strings(helm, tmp_path, where):
    apps = {"Y": {"type": "api"}} if where == "app-name" else {"cart_api": {"env": {"Y": "1"}}}
    (build,) = build_all(parse_spec({"domain": "shop", "charts": {"web": {"apps": apps}}}, "spec.yaml"))
    write_outputs([build], tmp_path)
    result = run_helm(helm, "template", "r", tmp_path / "charts" / build.model.name, check=False)
    assert result.returncode == 0, result.stderr
    objects = load_documents(result.stdout)
    assert by_identity([strip_release_fields(o) for o in objects]) == by_identity(build.objects)
