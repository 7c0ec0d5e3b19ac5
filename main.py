"""cdk8s app and CLI of the Enhanced Helm Chart Framework.

`cdk8s synth` runs this (see cdk8s.yaml) and gets manifests in CDK8S_OUTDIR;
`python main.py [SPEC ...] --out DIR` also writes Helm charts and packages.
"""

import importlib.util
import os
import sys

# jsii's generated bindings type-check every call unless Python runs with -O, so
# the CLI re-runs itself optimised. The saving is small and bench/run.py records it
# (2026-11-30: 200 apps 11.1 against 12.2 ms per app; a later run at 100 apps saw
# none within noise, 4.30 against 4.12 s of CPU). The library is unaffected.
if not sys.flags.optimize and os.environ.get("EHCF_NO_REEXEC") != "1":
    os.execv(sys.executable, [sys.executable, "-O", *sys.argv])

# jsii prints a large banner on Node 20 (past its support window); it works, and the
# banner would break the one-line error contract on stderr.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Run with a Python that lacks the project's packages (e.g. `cdk8s synth` on a bare
# machine), say how to set up rather than end in an ImportError traceback.
_MISSING = [m for m in ("yaml", "cdk8s", "cdk8s_plus_28", "kubernetes_validate") if importlib.util.find_spec(m) is None]
if _MISSING:
    print(f"{', '.join(_MISSING)} not installed for {sys.executable}: run scripts/setup.sh, then use .venv/bin/python", file=sys.stderr)
    sys.exit(3)

from constructs_lib.cli import main  # noqa: E402 - after the checks above

if __name__ == "__main__":
    sys.exit(main())
