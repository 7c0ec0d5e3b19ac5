"""Reading Kubernetes objects for `diff` and `import`: from a manifests file, or
from a chart (directory or .tgz) rendered by the real `helm template`.

Also the normalisation both commands share: what counts as noise (release
labels, server-set fields) and how an object is identified (kind, namespace, name).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from .spec.errors import SpecError

try:  # libyaml is several times faster on large renders
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader


class ManifestLoader(_BaseLoader):
    """Kubernetes YAML as Helm and kubectl (Go) read it. The one difference from PyYAML's
    safe loader: a plain `=` is the string "=". Helm's toYaml writes that string plain,
    and YAML 1.1 makes it a "value key" PyYAML cannot construct."""


ManifestLoader.add_constructor("tag:yaml.org,2002:value", ManifestLoader.construct_yaml_str)


def load_documents(text: str) -> list:
    """The non-empty documents of a YAML stream (helm template output), read as Go reads them."""
    return [doc for doc in yaml.load_all(text, Loader=ManifestLoader) if doc is not None]


PROJECT_DIR = Path(__file__).resolve().parent.parent
HELM_CANDIDATES = (PROJECT_DIR / ".tools" / "bin" / "helm4", PROJECT_DIR / ".tools" / "bin" / "helm3")
CHART_SUFFIXES = (".tgz", ".tar.gz")
HELM_TIMEOUT = 300

# Labels only a Helm release sets: never part of what a chart means (design: default render equals synth).
RELEASE_LABELS = ("app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "helm.sh/chart")
# Annotations that Helm or the API server write on live objects (`kubectl get -o yaml` output).
RELEASE_ANNOTATIONS = (
    "meta.helm.sh/release-name",
    "meta.helm.sh/release-namespace",
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
)
# Set by the API server, never authored: always dropped.
SERVER_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink")
# Kubernetes quantities may be written as numbers (cpu: 1) or strings ("1"); the API treats them alike.
QUANTITY_BLOCKS = ("requests", "limits")


@dataclass(frozen=True)
class RenderOptions:
    """How to render a chart: which helm, release, namespace and values."""

    helm: str | None = None
    release: str = "release"
    namespace: str = "default"
    values: tuple[str, ...] = ()
    set_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Noise:
    """What comparisons ignore: these labels and annotations anywhere in metadata, and the namespace."""

    labels: frozenset[str] = frozenset(RELEASE_LABELS)
    annotations: frozenset[str] = frozenset(RELEASE_ANNOTATIONS)
    namespace: bool = True

    @classmethod
    def strict(cls, labels=(), annotations=()) -> Noise:
        return cls(frozenset(labels), frozenset(annotations), namespace=False)

    def plus(self, labels=(), annotations=()) -> Noise:
        return Noise(self.labels | set(labels), self.annotations | set(annotations), self.namespace)


Identity = tuple[str, str, str]  # kind, namespace ("" when ignored or unset), name


def add_render_options(parser: argparse.ArgumentParser) -> None:
    """The options of every command that may render a chart."""
    group = parser.add_argument_group("rendering charts (directories and .tgz files)")
    group.add_argument("--helm", help="helm binary (default: $HELM, .tools/bin/helm4, .tools/bin/helm3, helm on PATH)")
    group.add_argument("--release", default="release", help="release name for helm template (default: release)")
    group.add_argument("--namespace", default="default", help="namespace for helm template (default: default)")
    group.add_argument("-f", "--values", action="append", default=[], metavar="FILE", help="values file for charts (repeatable)")
    group.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="value for charts, as helm --set (repeatable)")


def render_options(args: argparse.Namespace) -> RenderOptions:
    return RenderOptions(args.helm, args.release, args.namespace, tuple(args.values), tuple(args.set))


def is_chart(path: Path) -> bool:
    return (path.is_dir() and (path / "Chart.yaml").is_file()) or (path.is_file() and path.name.endswith(CHART_SUFFIXES))


def load_objects(source: str, options: RenderOptions) -> list[dict]:
    """The objects of a chart (rendered) or a manifests file; SpecError naming the source otherwise."""
    path = Path(source)
    if is_chart(path):
        return parse_manifests(helm_template(path, options), source)
    if path.is_dir():
        raise SpecError.one(source, "", "a directory without Chart.yaml: expected a chart directory, a .tgz or a manifests file")
    if not path.is_file():
        raise SpecError.one(source, "", "no such file: expected a chart directory, a .tgz or a manifests file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError.one(source, "", f"cannot read manifests ({exc})") from None
    return parse_manifests(text, source)


def parse_manifests(text: str, source: str) -> list[dict]:
    """Objects of a multi-document YAML stream; `kind: List` documents are flattened."""
    try:
        documents = load_documents(text)
    except yaml.MarkedYAMLError as exc:
        where = f" at line {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        raise SpecError.one(source, "", f"invalid YAML{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise SpecError.one(source, "", f"invalid YAML: {exc}") from None
    objects = []
    for number, doc in enumerate(documents, 1):
        items = doc.get("items") if isinstance(doc, dict) and doc.get("kind") == "List" else [doc]
        for obj in items if isinstance(items, list) else [items]:
            metadata = obj.get("metadata") if isinstance(obj, dict) else None
            if not (isinstance(metadata, dict) and isinstance(obj.get("kind"), str) and isinstance(metadata.get("name"), str)):
                raise SpecError.one(source, f"document {number}", "expected a Kubernetes object with kind and metadata.name")
            objects.append(obj)
    return objects


def find_helm(explicit: str | None) -> str:
    """--helm, else $HELM, else the project's .tools/bin helm4/helm3, else helm on PATH."""
    if explicit or os.environ.get("HELM"):
        chosen = explicit or os.environ["HELM"]
        found = shutil.which(chosen)
        if not found:
            where = "--helm" if explicit else "HELM"
            raise SpecError.one(chosen, where, "helm not found or not executable")
        return found
    for candidate in HELM_CANDIDATES:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("helm")
    if not found:
        raise SpecError.one("helm", "--helm", "no helm found: pass --helm PATH, set HELM, or put helm on PATH")
    return found


def helm_template(chart: Path, options: RenderOptions) -> str:
    """`helm template` output (hooks included); a render failure is bad input (exit 2)."""
    command = [find_helm(options.helm), "template", options.release, str(chart), "--namespace", options.namespace]
    for values in options.values:
        command += ["--values", values]
    for setting in options.set_values:
        command += ["--set", setting]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=HELM_TIMEOUT)
    except OSError as exc:
        raise SpecError.one(command[0], "--helm", f"cannot run helm ({exc.strerror or exc})") from None
    except subprocess.TimeoutExpired:
        raise SpecError.one(str(chart), "helm template", f"took longer than {HELM_TIMEOUT} seconds") from None
    if result.returncode != 0:
        message = " ".join(line.strip() for line in result.stderr.splitlines() if line.strip() and not line.startswith("WARNING"))
        raise SpecError.one(str(chart), "helm template", message[:800] or f"failed with exit code {result.returncode}")
    return result.stdout


def normalize(obj: dict, noise: Noise) -> dict:
    """A copy without noise: status, server-set metadata, ignored labels/annotations, maybe the namespace."""
    out = _prune_metadata(obj, noise)
    out.pop("status", None)
    metadata = out["metadata"]
    for key in SERVER_METADATA:
        metadata.pop(key, None)
    if noise.namespace:
        metadata.pop("namespace", None)
    return out


def _prune_metadata(node, noise: Noise, key: str = ""):
    """Deep copy; ignored keys leave every `metadata` mapping (object, pod template, ...)."""
    if isinstance(node, dict):
        out = {k: _prune_metadata(v, noise, k) for k, v in node.items()}
        if key in QUANTITY_BLOCKS:
            out = quantity_strings(out)
        metadata = out.get("metadata")
        if isinstance(metadata, dict):
            for field, ignored in (("labels", noise.labels), ("annotations", noise.annotations)):
                if isinstance(metadata.get(field), dict):
                    kept = {k: v for k, v in metadata[field].items() if k not in ignored}
                    if kept:
                        metadata[field] = kept
                    else:
                        del metadata[field]
            if not metadata and node["metadata"]:  # emptied by pruning: as if never written
                del out["metadata"]
        return out
    if isinstance(node, list):
        return [_prune_metadata(item, noise) for item in node]
    return node


def quantity_strings(quantities: dict) -> dict:
    """`cpu: 1` as `cpu: "1"`: the form the schema and the generator use."""
    return {k: str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for k, v in quantities.items()}


def identity(obj: dict, default_namespace: str = "") -> Identity:
    metadata = obj["metadata"]
    return obj["kind"], metadata.get("namespace") or default_namespace, metadata["name"]


def show(ident: Identity) -> str:
    kind, namespace, name = ident
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def index_objects(objects: list[dict], source: str, default_namespace: str = "") -> dict[Identity, dict]:
    """Objects by identity; the same identity twice in one source is bad input."""
    out: dict[Identity, dict] = {}
    for obj in objects:
        ident = identity(obj, default_namespace)
        if ident in out:
            raise SpecError.one(source, show(ident), "the same object appears twice")
        out[ident] = obj
    return out
