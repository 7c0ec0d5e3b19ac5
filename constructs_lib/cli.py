"""Command line: `python main.py [SPEC ...] [--out DIR]`, plus subcommands.

Exit codes: 0 success, 1 "different" (diff only), 2 bad input, 3 internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from .errors import SpecError
from .spec import load_models

EXIT_OK, EXIT_DIFFERENT, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
SPEC_SUFFIXES = (".yaml", ".yml", ".json")
PROJECT_DIR = Path(__file__).resolve().parent.parent


def default_specs() -> list[Path]:
    folder = PROJECT_DIR / "charts_spec"
    return sorted(p for p in folder.iterdir() if p.suffix in SPEC_SUFFIXES) if folder.is_dir() else []


def generate(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Generate Kubernetes manifests, Helm charts and packages from chart specs. "
        "Subcommands: diff, import (run `main.py diff --help`).",
    )
    parser.add_argument("specs", nargs="*", type=Path, help="spec files (default: every file in charts_spec/)")
    parser.add_argument("--out", type=Path, default=Path("dist"), help="output directory (default: dist)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    args = parser.parse_args(argv)
    specs = args.specs or default_specs()
    if not specs:
        raise SpecError.one("charts_spec", "", "no spec files given and none found in charts_spec/")
    models = load_models(specs)  # before importing the pipeline: bad input never starts jsii (cdk8s)
    from .pipeline import build_all, terminal_progress, write_manifests_only, write_outputs

    builds = build_all(models, progress=terminal_progress)
    cdk8s_outdir = os.environ.get("CDK8S_OUTDIR")
    if cdk8s_outdir:  # under `cdk8s synth`: the CLI owns that folder and wants manifests only
        write_manifests_only(builds, Path(cdk8s_outdir))
    else:
        write_outputs(builds, args.out)
    return EXIT_OK


def _subcommands():
    from . import diff, importer

    return {"diff": diff.main, "import": importer.main}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        if argv and argv[0] in ("diff", "import"):
            return _subcommands()[argv[0]](argv[1:])
        return generate(argv)
    except SpecError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
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
