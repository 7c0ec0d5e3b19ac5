"""Command line: `python main.py [SPEC ...] [--out DIR]`, plus subcommands.

Exit codes: 0 success, 1 "different" (diff only), 2 bad input, 3 internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from .spec.errors import SpecError
from .spec.parse import load_models
from .summary import chart_summary, placeholder_registry_warning

EXIT_OK, EXIT_DIFFERENT, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
SPEC_SUFFIXES = (".yaml", ".yml", ".json")
MAX_PROBLEMS = 100  # a spec with more is likely not a spec: the first hundred say enough
PROJECT_DIR = Path(__file__).resolve().parent.parent


def default_specs() -> list[Path]:
    return specs_in(PROJECT_DIR / "charts_spec") if (PROJECT_DIR / "charts_spec").is_dir() else []


def specs_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file())


def _spec_paths(given: list[Path]) -> list[Path]:
    """The spec files named, a folder standing for every spec file in it."""
    specs = []
    for path in given:
        if path.is_dir():
            found = specs_in(path)
            if not found:
                raise SpecError.one(str(path), "", f"folder has no spec files ({', '.join(SPEC_SUFFIXES)})")
            specs += found
        else:
            specs.append(path)
    return specs


def generate(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Generate Kubernetes manifests, Helm charts and packages from chart specs. "
        "Subcommands: diff, import, publish (run `main.py publish --help`).",
    )
    parser.add_argument("specs", nargs="*", type=Path, help="spec files or folders of them (default: charts_spec/)")
    parser.add_argument("--out", type=Path, default=Path("dist"), help="output directory (default: dist)")
    parser.add_argument(
        "--clean",
        action="store_true",
        help="empty DIR/manifests, charts and packages first (default: replace only the charts built)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    args = parser.parse_args(argv)
    specs = _spec_paths(args.specs) or default_specs()
    if not specs:
        raise SpecError.one("charts_spec", "", "no spec files given and none found in charts_spec/")
    models = load_models(specs)  # before importing the pipeline: bad input never starts jsii (cdk8s)
    from .pipeline import build_all, terminal_progress, write_manifests_only, write_outputs

    builds = build_all(models, progress=terminal_progress)
    cdk8s_outdir = os.environ.get("CDK8S_OUTDIR")
    # Under `cdk8s synth` the CLI owns CDK8S_OUTDIR and wants manifests only.
    written = write_manifests_only(builds, Path(cdk8s_outdir)) if cdk8s_outdir else write_outputs(builds, args.out, clean=args.clean)
    if not (args.quiet or cdk8s_outdir):  # cdk8s lists the manifests itself
        for build in builds:
            print("\n".join(chart_summary(build.model, build.objects, written[build.model.name])))
        warning = placeholder_registry_warning(models)
        if warning:
            print(warning, file=sys.stderr)
    return EXIT_OK


def _subcommands():
    from .helm import publish
    from .migrate import diff, importer

    return {"diff": diff.main, "import": importer.main, "publish": publish.main}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        if argv and argv[0] in ("diff", "import", "publish"):
            return _subcommands()[argv[0]](argv[1:])
        return generate(argv)
    except SpecError as exc:
        for problem in exc.problems[:MAX_PROBLEMS]:
            print(problem, file=sys.stderr)
        if len(exc.problems) > MAX_PROBLEMS:
            print(f"... and {len(exc.problems) - MAX_PROBLEMS} more problems", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:
        if debug:
            traceback.print_exc()
        message = str(exc).splitlines()[0] if str(exc) else ""
        print(f"internal error: {type(exc).__name__}: {message} (rerun with --debug for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
