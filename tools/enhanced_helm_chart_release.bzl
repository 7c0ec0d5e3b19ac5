"""Bazel rules of the Enhanced Helm Chart Framework.

    load("@enhanced_helm_charts//tools:enhanced_helm_chart_release.bzl",
         "enhanced_helm_chart_release_macro", "release_app")

    release_app(
        name = "experience_api",
        binary_target = "//manman/src/host:experience_api",
        language = "python",
        domain = "manman",
        description = "Experience API",
    )

    enhanced_helm_chart_release_macro(
        domain = "manman",
        charts = {
            "production_chart": {
                "description": "ManMan production deployment",
                "apps": ["experience_api"],
                "features": {"pdb": "true", "hpa": "true", "ingress": "true"},
                "custom_values": {"global.env.APP_ENV": "production"},
            },
        },
    )

For each chart the macro declares `<domain>_<chart>` (chart directory, `.tgz`
package and synthesized manifests, made by the project's generator `main.py`)
`<domain>_<chart>_test` (checks the package; `helm lint --strict` and `helm
template` with each helm of the label flag `//tools:helm`, Helm 3 and 4) and `<domain>_<chart>_push` (`bazel run` it with
`-- oci://HOST/PATH` to publish the package). See docs/bazel.md.

The chart's spec is written as JSON and handed to the generator, so a chart
built here is byte-identical to `python main.py` on the equivalent spec file.
JSON is written with an order-preserving encoder (Starlark's `json.encode`
sorts object keys, and the order of user data such as a list of TLS configs
is kept in the generated values.yaml); `json.encode` does the scalars.
"""

load(":python.bzl", "GeneratorPythonInfo")

# Feature names the Starlark side accepts; the generator (constructs_lib/spec/parse.py
# FEATURES) is the authority and re-checks everything at build time.
KNOWN_FEATURES = ["pdb", "hpa", "ingress", "gateway", "metrics", "networkPolicy"]

_CHART_KEYS = ["description", "version", "app_version", "apps", "features", "custom_values", "stamp_version", "stamp_app_version"]
_SERVICE_TYPES = ["api", "processor", "job", "cronjob"]
_DEFAULT_VERSION = "0.1.0"  # the generator's default chart version
_MAX_NAME = 63
_type = type  # release_app has a parameter called `type`
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"

# The generator's Python and node (tools/BUILD.bazel, tools/python.bzl).
_PYTHON_FLAG = Label("//tools:python")

# --action_env variables the hermetic chart action still passes (jsii's package
# cache and banner, the generator's own switches); all others, PATH first, are not.
_PASSED_ENV_PREFIXES = ("JSII_", "EHCF_")

ReleaseAppInfo = provider(
    doc = "Release metadata of one app, as `release_app` recorded it (the spec's top-level `apps` entry).",
    fields = {
        "app": "app name as charts refer to it (the spec's key)",
        "domain": "domain the app belongs to",
        "language": "implementation language",
        "description": "one-line description",
        "binary_target": "label (string) of the app's binary; recorded, not built",
        "image": "image repository (optionally repo:tag); empty for the generator's default",
        "tag": "image tag; empty for the chart's app_version",
        "type": "explicit service type (api, processor, job, cronjob); empty to let the generator detect it",
        "entry_json": "the app's spec entry as JSON (key order kept)",
    },
)

HelmChartInfo = provider(
    doc = "Outputs of one generated chart.",
    fields = {
        "name": "chart name (`{domain}-{chart}`, dashes)",
        "version": "chart version (empty in a stamped build: the version is known when the action runs)",
        "package": "File: the packaged chart (.tgz)",
        "chart_dir": "File (directory): the unpacked chart",
        "manifest": "File: cdk8s-synthesized manifests",
        "spec": "File: the JSON spec handed to the generator",
    },
)

# ---------------------------------------------------------------------------
# Helpers

def _is_identifier(value):
    """The generator's identifier rule: a letter, then letters, digits, '_' or '-', ending alphanumeric, <= 63."""
    if type(value) != "string" or not value or len(value) > _MAX_NAME:
        return False
    if value[0] not in _LETTERS or value[-1] not in _LETTERS + _DIGITS:
        return False
    for i in range(len(value)):
        if value[i] not in _LETTERS + _DIGITS + "_-":
            return False
    return True

def _identifier_message(value, what):
    return "invalid %s %r: expected a letter, then letters, digits, '_' or '-', ending with a letter or digit, at most 63 characters" % (what, value)

def _dashed(identifier):
    return identifier.lower().replace("_", "-")

def _to_json(value):
    """JSON text of `value` with dict keys in insertion order (json.encode sorts them).

    Starlark has no recursion, so containers are walked with an explicit stack of
    ("value", x) items still to encode and ("text", s) fragments to emit.
    """
    out = []
    stack = [("value", value)]
    for _ in range(1000000):
        if not stack:
            break
        kind, item = stack.pop()
        if kind == "text":
            out.append(item)
            continue
        item_type = type(item)
        if item_type == "dict":
            todo = [("text", "{")]
            first = True
            for key, val in item.items():
                if type(key) != "string":
                    fail("JSON object keys must be strings, got %r" % (key,))
                todo.append(("text", ("" if first else ",") + json.encode(key) + ":"))
                todo.append(("value", val))
                first = False
            todo.append(("text", "}"))
            stack.extend(reversed(todo))
        elif item_type in ("list", "tuple"):
            todo = [("text", "[")]
            for index, val in enumerate(item):
                if index:
                    todo.append(("text", ","))
                todo.append(("value", val))
            todo.append(("text", "]"))
            stack.extend(reversed(todo))
        elif item_type in ("string", "int", "float", "bool", "NoneType"):
            out.append(json.encode(item))
        else:
            fail("cannot write a %s as JSON: %r" % (item_type, item))
    if stack:
        fail("value too large to write as JSON")
    return "".join(out)

def _canonical_binary(binary_target):
    """`:foo` / `foo` → `//this/package:foo`; absolute labels unchanged. Recorded as text, not built."""
    if not binary_target or binary_target.startswith("//") or binary_target.startswith("@"):
        return binary_target
    target = binary_target[1:] if binary_target.startswith(":") else binary_target
    return "//%s:%s" % (native.package_name(), target)

# ---------------------------------------------------------------------------
# release_app

def _set_attrs(ctx, names):
    """The non-empty string attributes `names`, in that order, as spec entries."""
    return {name: getattr(ctx.attr, name) for name in names if getattr(ctx.attr, name)}

def _release_app_impl(ctx):
    app = ctx.attr.app or ctx.label.name
    where = "release_app %s" % ctx.label
    if not _is_identifier(app):
        fail("%s: app: %s" % (where, _identifier_message(app, "app name")))
    if not _is_identifier(ctx.attr.domain):
        fail("%s: domain: %s" % (where, _identifier_message(ctx.attr.domain, "domain")))
    if ctx.attr.type and ctx.attr.type not in _SERVICE_TYPES:
        fail("%s: type: expected one of %s, got %r" % (where, ", ".join(_SERVICE_TYPES), ctx.attr.type))
    settings = json.decode(ctx.attr.settings_json) if ctx.attr.settings_json else {}
    if type(settings) != "dict":
        fail("%s: settings: expected a dict of values settings, got %s" % (where, type(settings)))

    # The spec's top-level apps entry. Metadata first, then values settings.
    entry = _set_attrs(ctx, ("image", "tag", "type", "language", "description", "binary_target", "hook"))
    for key, value in settings.items():
        if key in entry:
            fail("%s: settings.%s: set it with the release_app attribute %s, not in settings" % (where, key, key))
        entry[key] = value
    entry_json = _to_json(entry)

    metadata = ctx.actions.declare_file(ctx.label.name + ".release_app.json")
    ctx.actions.write(metadata, _to_json({"app": app, "domain": ctx.attr.domain, "entry": entry}) + "\n")
    return [
        DefaultInfo(files = depset([metadata])),
        ReleaseAppInfo(
            app = app,
            domain = ctx.attr.domain,
            language = ctx.attr.language,
            description = ctx.attr.description,
            binary_target = ctx.attr.binary_target,
            image = ctx.attr.image,
            tag = ctx.attr.tag,
            type = ctx.attr.type,
            entry_json = entry_json,
        ),
    ]

_release_app = rule(
    implementation = _release_app_impl,
    doc = "Release metadata of one app; charts of the same domain list it in `apps`.",
    attrs = {
        "app": attr.string(doc = "app name in charts (default: the target name)"),
        "domain": attr.string(mandatory = True),
        "language": attr.string(),
        "description": attr.string(),
        "binary_target": attr.string(doc = "label of the app's binary, recorded as text (not built)"),
        "image": attr.string(doc = "image repository, optionally with :tag"),
        "tag": attr.string(doc = "image tag (default: the chart's app_version)"),
        "type": attr.string(doc = "api, processor, job or cronjob (default: detected from the name)"),
        "hook": attr.string(doc = "jobs only: Helm hooks, e.g. pre-install,pre-upgrade"),
        "settings_json": attr.string(doc = "values settings (env, port, healthPath, resources, ...) as JSON; set by the macro"),
    },
)

def release_app(
        name,
        binary_target = "",
        language = "",
        domain = "",
        description = "",
        image = "",
        tag = "",
        type = "",
        command = None,
        hook = "",
        settings = None,
        app = None,
        **kwargs):
    """Records an app's release metadata for the charts of its domain.

    Args:
      name: target name; also the app's name in charts unless `app` is given.
      binary_target: label of the app's binary (recorded as text; `:x` is made absolute).
      language: implementation language (metadata).
      domain: the domain (must match the charts that list the app).
      description: one-line description (metadata).
      image: image repository, e.g. "registry.example.com/manman/experience-api" (optionally with ":tag").
      tag: image tag (default: the chart's app_version).
      type: "api", "processor", "job" or "cronjob" (default: detected from the name by the generator; a cronjob needs settings = {"schedule": ...}).
      command: container command (list of strings, or one string split like a shell).
      hook: jobs only, e.g. "pre-install,pre-upgrade".
      settings: other per-app values (dict), e.g. {"port": 8080, "healthPath": "/healthz", "env": {...}}.
      app: app name when it differs from the target name.
      **kwargs: visibility, tags, testonly, ...
    """
    if _type(settings) not in ("dict", "NoneType"):
        fail("release_app(name = %r): settings: expected a dict, got %r" % (name, settings))
    if _type(command) not in ("string", "list", "NoneType"):
        fail("release_app(name = %r): command: expected a list of strings or one string, got %r" % (name, command))
    if command != None and "command" in (settings or {}):
        fail("release_app(name = %r): command is given twice (argument and settings)" % name)
    values = {}
    if command != None:
        values["command"] = command  # a string is split like a shell by the generator
    for key, value in (settings or {}).items():
        values[key] = value
    _release_app(
        name = name,
        app = app or "",
        binary_target = _canonical_binary(binary_target),
        language = language,
        domain = domain,
        description = description,
        image = image,
        tag = tag,
        type = type,
        hook = hook,
        settings_json = _to_json(values) if values else "",
        **kwargs
    )

# ---------------------------------------------------------------------------
# The chart rule

def _chart_impl(ctx):
    domain = ctx.attr.domain
    chart = ctx.attr.chart
    where = "chart %r (domain %r, target %s)" % (chart, domain, ctx.label)

    # Features: names and "true"/"false" (any case) checked here, at analysis time.
    features = {}
    for feature, value in ctx.attr.chart_features.items():
        if feature not in KNOWN_FEATURES:
            fail("%s: features.%s: unknown feature %r; expected one of: %s" % (where, feature, feature, ", ".join(KNOWN_FEATURES)))
        if value.lower() not in ("true", "false"):
            fail("%s: features.%s: expected \"true\" or \"false\" (or True/False), got %r" % (where, feature, value))
        features[feature] = value.lower() == "true"

    # Apps: each declared app must come from a release_app target of this domain.
    release_entries = {}
    for app, dep in zip(ctx.attr.declared_apps, ctx.attr.apps):
        if ReleaseAppInfo not in dep:
            fail("%s: apps.%s: %s is not a release_app target (declare release_app(name = %r, ...), or list the app in apps_without_release_app)" % (where, app, dep.label, app))
        info = dep[ReleaseAppInfo]
        if info.app != app:
            fail("%s: apps.%s: %s records app %r, not %r" % (where, app, dep.label, info.app, app))
        if info.domain != domain:
            fail("%s: apps.%s: release_app %s belongs to domain %r, not %r" % (where, app, dep.label, info.domain, domain))
        release_entries[app] = json.decode(info.entry_json)
    for app in ctx.attr.app_order:
        if app not in release_entries and app not in ctx.attr.apps_without_release_app:
            fail("%s: apps.%s: no release_app for this app" % (where, app))

    if ctx.attr.apps_form == "dict":
        chart_apps = json.decode(ctx.attr.app_settings_json)
    else:
        chart_apps = list(ctx.attr.app_order)

    chart_entry = _set_attrs(ctx, ("description", "version", "app_version"))
    chart_entry["apps"] = chart_apps
    if features:
        chart_entry["features"] = features
    if ctx.attr.custom_values_json:
        chart_entry["custom_values"] = json.decode(ctx.attr.custom_values_json)

    spec = {"domain": domain}
    if ctx.attr.image_registry:
        spec["image_registry"] = ctx.attr.image_registry
    if release_entries:
        spec["apps"] = release_entries
    spec["charts"] = {chart: chart_entry}

    # Output names, as the generator names them (names over 63 characters get a
    # hash suffix there, which Starlark cannot compute: those use the target name).
    name = _dashed(domain) + "-" + _dashed(chart)
    if len(name) > _MAX_NAME:
        name = ctx.label.name
    # Stamping (--stamp): versions from the workspace status, known only when the
    # action runs, so the package is then named without its version.
    stamp = {}
    if ctx.attr.stamped:
        for field, key in (("version", ctx.attr.stamp_version), ("app_version", ctx.attr.stamp_app_version)):
            if key:
                stamp[field] = key
    version = "" if stamp.get("version") else (ctx.attr.version or _DEFAULT_VERSION)
    prefix = ctx.label.name + "/"
    spec_file = ctx.actions.declare_file(prefix + domain + ".json")
    package = ctx.actions.declare_file(prefix + name + ("-" + version if version else "") + ".tgz")
    chart_dir = ctx.actions.declare_directory(prefix + name)
    manifest = ctx.actions.declare_file(prefix + name + ".k8s.yaml")
    ctx.actions.write(spec_file, _to_json(spec) + "\n")

    args = ctx.actions.args()
    args.add(ctx.file._helper)
    args.add("--label", str(ctx.label))
    args.add("--spec", spec_file)
    args.add("--package", package)
    args.add("--chart-dir", chart_dir.path)
    args.add("--manifest", manifest)
    for app, dep in zip(ctx.attr.declared_apps, ctx.attr.apps):
        args.add("--release-app", "%s=%s" % (app, dep.label))  # errors in its settings name it
    inputs = [spec_file, ctx.file._helper, ctx.file._main] + ctx.files._generator_srcs
    if stamp:
        # Only stable-status.txt: a changed STABLE_ key re-runs the action (volatile keys would not).
        inputs.append(ctx.info_file)
        args.add("--status-file", ctx.info_file)
        for field, key in stamp.items():
            args.add("--stamp", "%s=%s" % (field, key))
    outputs = [package, chart_dir, manifest]
    mnemonic = "EnhancedHelmChart"
    progress_message = "Generating Helm chart %s (%s)" % (name, ctx.label)
    python = ctx.attr._python[GeneratorPythonInfo]
    if ctx.attr.generator:
        # The user's executable brings its own environment (a py_binary's stub
        # finds python3 on PATH): Bazel's default shell env, and the helper runs
        # with $EHC_PYTHON or python3 there.
        args.add("--generator", ctx.executable.generator)
        ctx.actions.run_shell(
            command = 'exec "${EHC_PYTHON:-python3}" "$@"',
            arguments = [args],
            inputs = inputs,
            tools = [ctx.attr.generator[DefaultInfo].files_to_run],
            outputs = outputs,
            mnemonic = mnemonic,
            progress_message = progress_message,
            use_default_shell_env = True,
        )
    elif not python.interpreter:
        # Fails when the chart builds (not at analysis), so `--output_groups=spec`
        # and everything that does not generate works without it.
        message = "%s: no generator Python: --%s is not set; declare ehc_python(name = \"ehc_python\", ...) in WORKSPACE and add `build --%s=@ehc_python//:python` to .bazelrc (see docs/bazel.md)" % (ctx.label, _PYTHON_FLAG, _PYTHON_FLAG)
        ctx.actions.run_shell(
            command = "echo %s >&2; exit 2" % _shell_quote(message),
            inputs = inputs,
            outputs = outputs,
            mnemonic = mnemonic,
            progress_message = progress_message,
        )
    else:
        # Hermetic: the interpreter, its site-packages and node are inputs, and
        # the environment is this fixed one plus the caller's JSII_*/EHCF_*
        # --action_env values (not PATH): the action key does not depend on
        # the client's PATH, so a shared disk or remote cache is hit.
        args.add("--main", ctx.file._main)
        args.add("--node", python.node)
        env = {key: value for key, value in ctx.configuration.default_shell_env.items() if key.startswith(_PASSED_ENV_PREFIXES)}
        ctx.actions.run(
            executable = python.interpreter,
            arguments = [args],
            inputs = depset(inputs, transitive = [python.files]),
            outputs = outputs,
            mnemonic = mnemonic,
            progress_message = progress_message,
            env = env,
            use_default_shell_env = False,
        )

    files = [package, chart_dir, manifest]
    return [
        DefaultInfo(files = depset(files)),
        OutputGroupInfo(
            package = depset([package]),
            chart_dir = depset([chart_dir]),
            manifest = depset([manifest]),
            spec = depset([spec_file]),
        ),
        HelmChartInfo(
            name = name,
            version = version,
            package = package,
            chart_dir = chart_dir,
            manifest = manifest,
            spec = spec_file,
        ),
    ]

_enhanced_helm_chart = rule(
    implementation = _chart_impl,
    doc = "One chart of a domain: runs the generator on the chart's JSON spec. Use the macro.",
    attrs = {
        "domain": attr.string(mandatory = True),
        "chart": attr.string(mandatory = True),
        "description": attr.string(),
        "version": attr.string(),
        "app_version": attr.string(),
        "image_registry": attr.string(),
        "app_order": attr.string_list(doc = "the chart's apps, in the order written"),
        "declared_apps": attr.string_list(doc = "apps resolved through release_app targets (parallel to apps)"),
        "apps": attr.label_list(doc = "release_app targets of declared_apps"),
        "apps_without_release_app": attr.string_list(),
        "apps_form": attr.string(values = ["list", "dict"], default = "list"),
        "app_settings_json": attr.string(doc = "dict form: per-app chart settings as JSON"),
        # `features` is a reserved attribute name on every Bazel rule.
        "chart_features": attr.string_dict(),
        "custom_values_json": attr.string(),
        "stamped": attr.bool(doc = "set by the macro from --stamp (config_setting //tools:stamped)"),
        "stamp_version": attr.string(doc = "workspace status key of the chart version in a stamped build"),
        "stamp_app_version": attr.string(doc = "workspace status key of the appVersion in a stamped build"),
        "generator": attr.label(
            executable = True,
            cfg = "exec",
            doc = "optional generator executable (e.g. a rules_python py_binary of main.py); default: main.py run with $EHC_PYTHON or python3",
        ),
        "_main": attr.label(default = Label("//:main.py"), allow_single_file = True),
        "_generator_srcs": attr.label(default = Label("//:generator_srcs")),
        "_helper": attr.label(default = Label("//tools:generate_chart.py"), allow_single_file = True),
        # The interpreter (with requirements.txt) and node of the action: tools/python.bzl.
        "_python": attr.label(default = _PYTHON_FLAG, providers = [GeneratorPythonInfo]),
    },
)

# ---------------------------------------------------------------------------
# The chart test

def _chart_script(ctx, substitutions, files):
    """DefaultInfo of `<label>.sh`, the rule's template filled in for its chart."""
    info = ctx.attr.chart[HelmChartInfo]
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        substitutions = dict(substitutions, **{
            "%CHART_LABEL%": str(ctx.attr.chart.label),
            "%PACKAGE%": info.package.short_path,
        }),
        is_executable = True,
    )
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = [info.package] + files))]

def _shell_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"

def _chart_test_impl(ctx):
    info = ctx.attr.chart[HelmChartInfo]
    for major in ctx.attr.helm_versions:
        if not major.isdigit():
            fail("%s: helm_versions: expected Helm major versions such as \"3\", got %r" % (ctx.label, major))
    helms = ctx.files.helm
    substitutions = {
        "%CHART_NAME%": info.name,
        "%CHART_DIR%": info.chart_dir.short_path,
        "%HELMS%": " ".join([_shell_quote(f.short_path) for f in helms]),
        "%HELM_MAJORS%": " ".join(ctx.attr.helm_versions),
        "%HELM_ORIGIN%": ctx.attr.helm_origin,
        "%HELM_FLAG%": str(_HELM_FLAG),
    }
    return _chart_script(ctx, substitutions, [info.chart_dir] + helms)

# Matches `--stamp` (tools/BUILD.bazel).
_STAMPED = str(Label("//tools:stamped"))

# The label flag naming the helm binaries of every chart test (tools/BUILD.bazel).
_HELM_FLAG = Label("//tools:helm")

_chart_test = rule(
    implementation = _chart_test_impl,
    test = True,
    doc = "Checks a generated chart: package layout, package = chart directory, helm lint --strict and template with each helm binary.",
    attrs = {
        "chart": attr.label(mandatory = True, providers = [HelmChartInfo]),
        # Inputs of the test (runfiles): a changed helm binary re-runs it.
        "helm": attr.label(default = _HELM_FLAG, allow_files = True, doc = "helm executables (a filegroup)"),
        "helm_origin": attr.string(doc = "where the helm binaries come from, for messages"),
        "helm_versions": attr.string_list(default = ["3", "4"], doc = "Helm major versions the test must run"),
        "_template": attr.label(default = Label("//tools:chart_test.sh.tpl"), allow_single_file = True),
    },
)

# ---------------------------------------------------------------------------
# Publishing

def _chart_push_impl(ctx):
    substitutions = {"%MAIN%": ctx.file._main.short_path}
    return _chart_script(ctx, substitutions, [ctx.file._main] + ctx.files._generator_srcs)

_chart_push = rule(
    implementation = _chart_push_impl,
    executable = True,
    doc = "`bazel run` it with `-- oci://HOST/PATH`: pushes the chart's package with `main.py publish` (real helm push).",
    attrs = {
        "chart": attr.label(mandatory = True, providers = [HelmChartInfo]),
        "_template": attr.label(default = Label("//tools:chart_push.sh.tpl"), allow_single_file = True),
        "_main": attr.label(default = Label("//:main.py"), allow_single_file = True),
        "_generator_srcs": attr.label(default = Label("//:generator_srcs")),
    },
)

# ---------------------------------------------------------------------------
# The macro

def enhanced_helm_chart_release_macro(
        domain,
        charts,
        name = None,
        image_registry = None,
        release_apps = None,
        apps_without_release_app = None,
        generator = None,
        helm = None,
        helm_versions = None,
        stamp_version = "STABLE_CHART_VERSION",
        stamp_app_version = "STABLE_APP_VERSION",
        visibility = None,
        tags = None,
        test_tags = None):
    """Declares `<domain>_<chart>`, `<domain>_<chart>_test` and `<domain>_<chart>_push` for each chart.

    Args:
      domain: the domain, e.g. "manman".
      charts: {chart_name: {"description": ..., "apps": [...] or {app: {settings}},
              "features": {"pdb": "true", ...}, "custom_values": {"a.b": value},
              "version": "0.1.0", "app_version": "1.2.3"}}. Feature values are
              "true"/"false" (any case) or True/False. Optional per chart:
              "stamp_version", "stamp_app_version" (see stamp_version).
      name: optional; declares a filegroup of every chart and a test_suite `<name>_test`.
      image_registry: registry for apps without an explicit image.
      release_apps: {app: label} for release_app targets outside this package
              (default for every app: ":<app>" in this package).
      apps_without_release_app: apps that have no release_app on purpose
              (they get the generator's defaults).
      generator: optional executable run as `GENERATOR SPEC.json --out DIR`
              instead of `$EHC_PYTHON main.py` (e.g. a rules_python py_binary
              of main.py with hermetic deps; see docs/bazel.md).
      helm: optional label of the helm executables (a filegroup) the chart
              tests run; default: the label flag @enhanced_helm_charts//tools:helm.
      helm_versions: Helm major versions each chart test must run (default
              ["3", "4"]).
      stamp_version: workspace status key whose value, in a `--stamp` build,
              replaces each chart's version ("" to never stamp it; a chart's
              own "stamp_version" key wins). Absent or empty: the BUILD's version.
      stamp_app_version: the same for app_version (default STABLE_APP_VERSION).
      visibility: visibility of the chart targets.
      tags: tags of the chart targets.
      test_tags: tags of the test targets.
    """
    where = "enhanced_helm_chart_release_macro(domain = %r)" % (domain,)
    if not _is_identifier(domain):
        fail("%s: domain: %s" % (where, _identifier_message(domain, "domain")))
    if type(charts) != "dict" or not charts:
        fail("%s: charts: expected a non-empty dict of chart name to chart, got %r" % (where, charts))
    release_apps = release_apps or {}
    apps_without_release_app = apps_without_release_app or []
    for app in apps_without_release_app:
        if app in release_apps:
            fail("%s: apps_without_release_app: %r also has a label in release_apps" % (where, app))

    chart_targets = []
    test_targets = []
    for chart, spec in charts.items():
        here = "%s: chart %r" % (where, chart)
        if not _is_identifier(chart):
            fail("%s: %s" % (here, _identifier_message(chart, "chart name")))
        if type(spec) != "dict":
            fail("%s: expected a dict, got %r" % (here, spec))
        for key in spec:
            if key not in _CHART_KEYS:
                fail("%s: unknown key %r; expected one of: %s" % (here, key, ", ".join(_CHART_KEYS)))
        for key in ("description", "version", "app_version", "stamp_version", "stamp_app_version"):
            if key in spec and type(spec[key]) != "string":
                fail("%s: %s: expected a string, got %r" % (here, key, spec[key]))

        apps = spec.get("apps")
        if type(apps) == "dict":
            app_order = list(apps.keys())
            apps_form = "dict"
            app_settings_json = _to_json(apps)
        elif type(apps) in ("list", "tuple"):
            app_order = list(apps)
            apps_form = "list"
            app_settings_json = ""
        else:
            fail("%s: apps: expected a list of app names or a dict of app settings, got %r" % (here, apps))
        if not app_order:
            fail("%s: apps: expected at least one app" % here)
        declared = []
        labels = []
        for index, app in enumerate(app_order):
            if type(app) != "string" or not _is_identifier(app):
                fail("%s: apps[%d]: %s" % (here, index, _identifier_message(app, "app name")))
            if app in app_order[:index]:
                fail("%s: apps: app %r is listed twice" % (here, app))
            if app in apps_without_release_app:
                continue
            declared.append(app)
            labels.append(release_apps.get(app, ":" + app))

        features = spec.get("features", {})
        if type(features) != "dict":
            fail("%s: features: expected a dict like {\"pdb\": \"true\"}, got %r" % (here, features))
        chart_features = {}
        for feature, value in features.items():
            if type(value) == "bool":
                value = "true" if value else "false"
            elif type(value) != "string":
                fail("%s: features.%s: expected \"true\" or \"false\" (or True/False), got %r" % (here, feature, value))
            chart_features[feature] = value

        custom_values = spec.get("custom_values", {})
        if type(custom_values) != "dict":
            fail("%s: custom_values: expected a dict of dotted path to value, got %r" % (here, custom_values))

        target = "%s_%s" % (domain, chart)
        _enhanced_helm_chart(
            name = target,
            domain = domain,
            chart = chart,
            description = spec.get("description", ""),
            version = spec.get("version", ""),
            app_version = spec.get("app_version", ""),
            image_registry = image_registry or "",
            app_order = app_order,
            declared_apps = declared,
            apps = labels,
            apps_without_release_app = [a for a in app_order if a in apps_without_release_app],
            apps_form = apps_form,
            app_settings_json = app_settings_json,
            chart_features = chart_features,
            custom_values_json = _to_json(custom_values) if custom_values else "",
            stamped = select({_STAMPED: True, "//conditions:default": False}),
            stamp_version = spec.get("stamp_version", stamp_version),
            stamp_app_version = spec.get("stamp_app_version", stamp_app_version),
            generator = generator,
            visibility = visibility,
            tags = tags,
        )
        _chart_test(
            name = target + "_test",
            chart = ":" + target,
            helm = helm or _HELM_FLAG,
            helm_origin = ("helm = %s" % helm) if helm else ("--%s" % _HELM_FLAG),
            helm_versions = ["3", "4"] if helm_versions == None else helm_versions,
            size = "small",
            tags = test_tags,
            visibility = visibility,
        )
        _chart_push(
            name = target + "_push",
            chart = ":" + target,
            visibility = visibility,
            tags = tags,
        )
        chart_targets.append(":" + target)
        test_targets.append(":" + target + "_test")

    if name:
        native.filegroup(name = name, srcs = chart_targets, visibility = visibility, tags = tags)
        native.test_suite(name = name + "_test", tests = test_targets, tags = test_tags)
