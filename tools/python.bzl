"""The generator's Python (with requirements.txt installed) and Node, as declared inputs.

Chart actions run `main.py` with the interpreter of the label flag
`@enhanced_helm_charts//tools:python` (a `generator_python` target) and give
jsii its `node`, with a fixed environment: no `PATH` or other variable of the
caller is part of the action, so the action key is the same on every machine
whose virtualenv and node have the same bytes, and a shared `--disk_cache` (or
remote cache) is hit whatever `PATH` the client had. `ehc_python` makes such a
target: a virtualenv created from requirements.txt inside an external
repository (offline from a wheel directory), plus the machine's `node`.

    # WORKSPACE
    load("@enhanced_helm_charts//tools:python.bzl", "ehc_python")
    ehc_python(name = "ehc_python", wheels = "/path/to/wheels")

    # .bazelrc
    build --@enhanced_helm_charts//tools:python=@ehc_python//:python

See docs/bazel.md ("Python and Node for the action").
"""

load(":workspace_paths.bzl", "workspace_path")

GeneratorPythonInfo = provider(
    doc = "An interpreter with the generator's requirements installed, and the node jsii runs.",
    fields = {
        "interpreter": "File: the Python executable (None: not configured)",
        "node": "File: the node executable jsii runs cdk8s with",
        "files": "depset of File: everything the interpreter needs (pyvenv.cfg, site-packages)",
        "origin": "what configured it, for messages",
    },
)

def _generator_python_impl(ctx):
    if not ctx.file.interpreter:
        return [GeneratorPythonInfo(interpreter = None, node = None, files = depset(), origin = str(ctx.label))]
    if not ctx.file.node:
        fail("%s: node: the node executable jsii runs cdk8s with is required" % ctx.label)
    files = depset([ctx.file.interpreter, ctx.file.node] + ctx.files.srcs)
    return [
        DefaultInfo(files = files),
        GeneratorPythonInfo(interpreter = ctx.file.interpreter, node = ctx.file.node, files = files, origin = str(ctx.label)),
    ]

generator_python = rule(
    implementation = _generator_python_impl,
    doc = "The generator's interpreter, its files and node, as inputs of the chart actions (ehc_python makes one).",
    attrs = {
        "interpreter": attr.label(allow_single_file = True, doc = "Python executable (a virtualenv's bin/python)"),
        "srcs": attr.label_list(allow_files = True, doc = "the files the interpreter reads: pyvenv.cfg, site-packages"),
        "node": attr.label(allow_single_file = True, doc = "node executable for jsii"),
    },
)

# ---------------------------------------------------------------------------
# ehc_python: a virtualenv of requirements.txt in an external repository

# constructs_lib/spec/extra_objects.py: the Kubernetes schema versions the
# generator validates extraObjects against; kubernetes-validate's others (about
# 16,000 files) are removed, or every chart action would have them as inputs.
def _schema_versions(repository_ctx):
    source = repository_ctx.path("%s/constructs_lib/spec/extra_objects.py" % repository_ctx.path(Label("//:main.py")).dirname)
    for line in repository_ctx.read(source).splitlines():
        if line.startswith("SCHEMA_VERSIONS = ("):
            inside = line[len("SCHEMA_VERSIONS = ("):line.index(")")]
            return [part.strip().strip("\"'") for part in inside.split(",") if part.strip()]
    fail("ehc_python: cannot find SCHEMA_VERSIONS = (...) in %s" % source)

def _program(repository_ctx, attr_name):
    value = getattr(repository_ctx.attr, attr_name)
    if "/" in value:
        path = workspace_path(repository_ctx, value)
    else:
        path = repository_ctx.which(value)
    if path == None or not path.exists:
        fail("ehc_python(name = %r): %s: %r not found%s" % (repository_ctx.name, attr_name, value, "" if "/" in value else " on PATH"))
    return path

def _run(repository_ctx, what, command, **kwargs):
    result = repository_ctx.execute(command, timeout = 900, **kwargs)
    if result.return_code != 0:
        fail("ehc_python(name = %r): %s failed (exit %d): %s\n%s%s" % (
            repository_ctx.name,
            what,
            result.return_code,
            " ".join([str(c) for c in command]),
            result.stdout,
            result.stderr,
        ))
    return result

def _ehc_python_impl(repository_ctx):
    name = repository_ctx.name
    python = _program(repository_ctx, "python")
    node = _program(repository_ctx, "node")
    requirements = repository_ctx.path(repository_ctx.attr.requirements)
    # --isolated: no PIP_* variables or pip.conf of the machine (another index or
    # find-links would make other bytes).
    pip_flags = ["--isolated", "--no-compile", "--disable-pip-version-check", "--no-warn-script-location", "-q"]
    if repository_ctx.attr.wheels:
        wheels = workspace_path(repository_ctx, repository_ctx.attr.wheels)
        if not wheels.exists:
            fail("ehc_python(name = %r): wheels: %s does not exist (pip download -r requirements.txt -d DIR; in this repo scripts/setup.sh --test)" % (name, wheels))
        pip_flags += ["--no-index", "--find-links", str(wheels)]

    # The interpreter's own pip installs into a virtualenv without pip (fewer
    # files); an interpreter without pip (Debian's python3) gets ensurepip's.
    has_pip = repository_ctx.execute([python, "-m", "pip", "--version"]).return_code == 0
    if has_pip:
        _run(repository_ctx, "creating the virtualenv", [python, "-m", "venv", "--without-pip", "venv"])
        install = [python, "-m", "pip", "--python", str(repository_ctx.path("venv/bin/python")), "install"]
    else:
        _run(repository_ctx, "creating the virtualenv", [python, "-m", "venv", "venv"])
        install = [str(repository_ctx.path("venv/bin/python")), "-m", "pip", "install"]
    _run(repository_ctx, "installing %s" % requirements, install + pip_flags + ["-r", str(requirements)])
    if not has_pip:
        _run(repository_ctx, "removing pip", [str(repository_ctx.path("venv/bin/python")), "-m", "pip", "uninstall", "-q", "-y", "pip", "setuptools"])

    # Nothing that names this repository's absolute path (it differs between
    # output bases, and the files are action inputs): pyvenv.cfg's `command`
    # line goes, the console scripts in bin/ are not inputs.
    config = [line for line in repository_ctx.read("venv/pyvenv.cfg").splitlines() if not line.startswith("command")]
    repository_ctx.file("venv/pyvenv.cfg", "\n".join(config) + "\n")

    venv_python = str(repository_ctx.path("venv/bin/python"))
    site = _run(repository_ctx, "locating site-packages", [
        venv_python,
        "-c",
        "import sysconfig; print(sysconfig.get_path('purelib'))",
    ]).stdout.strip()
    schemas = repository_ctx.path(site + "/kubernetes_validate/kubernetes-json-schema")
    if schemas.exists:
        keep = ["v%s.0-local-strict" % version for version in _schema_versions(repository_ctx)]
        for entry in schemas.readdir():
            if entry.basename not in keep:
                repository_ctx.delete(entry)

    # Bytecode, so that every action does not compile cdk8s again: hash-based
    # (no source mtimes) with relative file names, so two repositories made
    # from the same wheels have the same bytes. Level 1 too: main.py runs
    # itself with -O, which reads only *.opt-1.pyc.
    _run(repository_ctx, "compiling bytecode", [
        venv_python,
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "-o",
        "0",
        "-o",
        "1",
        "--invalidation-mode",
        "checked-hash",
        "lib",
    ], working_directory = "venv")

    repository_ctx.symlink(node, "node")
    repository_ctx.file("BUILD.bazel", "\n".join([
        "# Generated by ehc_python (@enhanced_helm_charts//tools:python.bzl) from %s." % requirements,
        "load(%r, \"generator_python\")" % _PYTHON_BZL,
        "",
        "generator_python(",
        "    name = \"python\",",
        "    interpreter = \"venv/bin/python\",",
        "    node = \"node\",",
        "    # dist-info RECORD files list the console scripts' hashes, whose",
        "    # shebangs name this repository's absolute path: not inputs.",
        "    srcs = [\"venv/pyvenv.cfg\"] + glob([\"venv/lib/**\"], exclude = [\"**/*.dist-info/RECORD\"]),",
        "    visibility = [\"//visibility:public\"],",
        ")",
        "",
    ]))

def _bzl_label():
    label = Label("//tools:python.bzl")
    return "@%s//%s:%s" % (label.workspace_name, label.package, label.name)

_PYTHON_BZL = _bzl_label()

ehc_python = repository_rule(
    implementation = _ehc_python_impl,
    doc = "A virtualenv with requirements.txt installed, and node, as `@<name>//:python` (a generator_python target).",
    attrs = {
        "requirements": attr.label(
            default = Label("//:requirements.txt"),
            allow_single_file = True,
            doc = "the pinned requirements to install (default: this project's requirements.txt)",
        ),
        "wheels": attr.string(
            doc = "a directory of wheels to install from, offline (pip --no-index --find-links); absolute, or relative to the main workspace root. Empty: pip's index",
        ),
        "python": attr.string(
            default = "python3",
            doc = "the interpreter that creates the virtualenv: a name on PATH, or a path (absolute, or relative to the main workspace root)",
        ),
        "node": attr.string(
            default = "node",
            doc = "the node jsii runs: a name on PATH, or a path (absolute, or relative to the main workspace root)",
        ),
    },
)
