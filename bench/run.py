"""Benchmark of the generator and of the charts it writes (issue #8).

    python bench/run.py [--sizes 10,100,1000] [--repeat N] [--profile N] [--project DIR]

Generates synthetic specs (every feature on, a mix of api apps, processors and a
few jobs, some per-app overrides), then measures on this machine:

* end-to-end CLI time: `python main.py spec.yaml --out DIR` (process start to .tgz)
  and its peak RSS (os.wait4 rusage: the CLI and its jsii node child);
* the same pipeline in process, phase by phase (load/validate, construct, synth,
  chart files, package, write), in a fresh `python -O` process per size;
* `helm template` of the packaged chart on Helm 3 and Helm 4 (median of >= 5);
* a peer baseline: the chart `helm create` writes, as N subcharts of one
  umbrella chart, rendered with one `helm template`;
* start-up paid once for many specs in one run.

Writes bench/results/latest.md and latest.json and prints the markdown.
Needs only the project's .venv and .tools/bin/helm{3,4}; no network.
"""

# ruff: noqa: RUF001  (the report prints multiplication signs and en dashes on purpose)
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_PROJECT = BENCH_DIR.parent
MULTI_SPECS = 10  # specs of MULTI_APPS apps in one CLI run (start-up paid once?)
MULTI_APPS = 10
HELM_MIN_RUNS = 5  # peak RSS of one helm run varies by 20% with when its GC runs
# In-process phases; "other" is what build_all does between them (Apps, lookups).
PHASES = ("startup", "load", "construct", "synth", "forced_construct", "forced_synth", "chart", "package", "write", "other")

# Targets of issue #8 on the 2-core reference machine.
TARGET_E2E_1000 = 10.0  # s, 1000-app chart generated and packaged
TARGET_MARGINAL_MS = 6.0  # ms per app
TARGET_HELM_1000 = 2.0  # s, helm template of the 1000-app chart
TARGET_HELM_GROWTH = 12.0  # t(1000) <= 12 x t(100)
TARGET_RSS_MIB = 1024.0
TARGET_STARTUP_SHARE = 0.25  # share of the fixed start-up cost paid again per extra spec
TARGET_FLOOR_RATIO = 1.5  # helm template of ours vs the static floor, CPU and peak memory, 1000 apps (issue #17)
OPTIMISE_APPS = 200  # the CLI is also run without -O at the largest size up to this


def _venv_python(project: Path) -> str:
    candidate = project / ".venv" / "bin" / "python"
    if candidate.exists():
        return str(candidate)
    candidate = DEFAULT_PROJECT / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def _reexec() -> None:
    """Run under the project's venv Python with -O, like main.py (jsii type checks off)."""
    if os.environ.get("EHCF_BENCH_REEXEC") == "1":
        return
    python = _venv_python(DEFAULT_PROJECT)
    os.environ["EHCF_BENCH_REEXEC"] = "1"
    os.execv(python, [python, "-O", os.path.abspath(__file__), *sys.argv[1:]])


# --------------------------------------------------------------------------- specs


def app_kind(i: int) -> str:
    if i % 50 == 7:
        return "job"
    return "processor" if i % 3 == 1 else "api"


def synthetic_spec(n: int, domain: str = "bench") -> dict:
    """One chart of n apps, every feature on, with overrides sprinkled deterministically.

    ~65% api apps, ~33% processors, 2% jobs (one a pre-install hook); 1 in 5 apps
    has settings of its own; 1 in 97 api apps switches autoscaling off, which makes
    the generator render the switched-off objects too (the guarded templates).
    """
    release_apps: dict = {}
    chart_apps: dict = {}
    jobs = 0
    for i in range(n):
        kind = app_kind(i)
        name = f"svc{i:04d}_{kind if kind != 'job' else 'task'}"
        release_apps[name] = {"language": "python", "description": f"Synthetic {kind} #{i}", "binary_target": f"//bench/src:{name}"}
        settings: dict = {}
        if kind == "job":
            settings["type"] = "job"
            settings["command"] = ["run-task", "--id", str(i)]
            if jobs == 0:
                settings["hook"] = "pre-install,pre-upgrade"
            else:
                settings["ttlSecondsAfterFinished"] = 600
            jobs += 1
        if i % 5 == 0 and kind != "job":
            settings["replicas"] = 3
            settings["env"] = {"FEATURE_X": "on", "WORKERS": 4}
            settings["resources"] = {"requests": {"cpu": "200m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}
        if i % 9 == 0 and kind != "job":
            settings["command"] = "serve --port 8000 --log-level info"
        if i % 13 == 0 and kind != "job":
            settings["zoneSpread"] = True
        if kind == "api":
            if i % 7 == 0:
                settings["autoscaling"] = {"minReplicas": 3, "maxReplicas": 12, "targetMemoryUtilizationPercentage": 70}
            if i % 11 == 0:
                settings["podDisruptionBudget"] = {"enabled": True, "minAvailable": "50%"}
            if i % 17 == 0:
                settings["ingress"] = {"path": f"/custom/{i}", "pathType": "Exact"}
            if i % 97 == 3:
                settings["autoscaling"] = {"enabled": False}
        if kind == "processor":
            if i % 4 == 0:
                settings["healthPath"] = "/healthz"
                settings["port"] = 8080
            if i % 8 == 1:
                settings["podDisruptionBudget"] = {"enabled": True, "maxUnavailable": 1}
        chart_apps[name] = settings
    return {
        "domain": domain,
        "image_registry": "registry.example.com/bench",
        "apps": release_apps,
        "charts": {
            f"apps{n}": {
                "description": f"Synthetic chart of {n} apps",
                "version": "1.0.0",
                "app_version": "2.0.0",
                "apps": chart_apps,
                "features": {"pdb": "true", "hpa": "true", "ingress": "true", "metrics": "true"},
                "custom_values": {
                    "global.env.APP_ENV": "bench",
                    "global.env.LOG_LEVEL": "info",
                    "ingress.host": "bench.example.com",
                    "ingress.ingressClassName": "nginx",
                    "ingress.tls.enabled": True,
                    "ingress.tls.configs": [{"secretName": "bench-tls", "hosts": ["bench.example.com"]}],
                },
            }
        },
    }


def write_spec(path: Path, spec: dict) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(spec, sort_keys=False, width=1 << 16))
    return path


# --------------------------------------------------------------------------- in-process worker


def _jsii_round_trips():
    """Count requests to the jsii node process (each construct call is one)."""
    from jsii._kernel.providers import process

    counter = {"n": 0}
    send = process._NodeProcess.send

    def counted(self, *args, **kwargs):
        counter["n"] += 1
        return send(self, *args, **kwargs)

    process._NodeProcess.send = counted
    return counter


def _child_peak_kib() -> int:
    """Peak RSS (VmHWM) of our child processes: the jsii node kernel."""
    total = 0
    pid = os.getpid()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            try:
                for line in Path(f"/proc/{child}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
            except OSError:
                pass
    return total


def worker(args) -> None:
    """The real pipeline (load_models, build_all, write_outputs) with its pieces timed. Prints JSON.

    Instead of re-implementing pipeline.build_chart, its collaborators are wrapped
    where pipeline looks them up (DomainChart, SwitchedOffChart, chart.to_json,
    chart_files, package_chart), so whatever build_chart does today is measured.
    """
    sys.path.insert(0, str(args.project))
    timings: dict[str, float] = dict.fromkeys(PHASES, 0.0)
    trips: dict[str, int] = dict.fromkeys(PHASES, 0)
    profiler = None
    if args.profile_out:
        import cProfile

        profiler = cProfile.Profile()

    t0 = time.perf_counter()
    import cdk8s

    counter = _jsii_round_trips()
    from constructs_lib import pipeline

    cdk8s.App()  # starts the jsii kernel: part of the fixed start-up cost
    timings["startup"] = time.perf_counter() - t0
    trips["startup"] = counter["n"]
    active: list[str] = []

    def phase(name, fn, *a, **kw):
        outer = active[-1] if active else None  # nested time is charged to the innermost phase
        active.append(name)
        before, start = counter["n"], time.perf_counter()
        if profiler and len(active) == 1:
            profiler.enable()
        try:
            return fn(*a, **kw)
        finally:
            if profiler and len(active) == 1:
                profiler.disable()
            elapsed, calls = time.perf_counter() - start, counter["n"] - before
            active.pop()
            timings[name] += elapsed
            trips[name] += calls
            if outer:
                timings[outer] -= elapsed
                trips[outer] -= calls

    # Charts pipeline builds: DomainChart is the synth; SwitchedOffChart (when the pipeline
    # has it) holds only the objects switched off by default, built for their templates.
    # Older pipelines synthesized a whole second DomainChart instead: the second
    # synthesize() of a chart counts as the forced one.
    state = {"synths": 0, "prefix": None, "forced_objects": 0}

    def timed_chart(real, prefix):
        def make(*a, **kw):
            mine = state["prefix"] if state["prefix"] is not None else prefix
            chart = phase(mine + "construct", real, *a, **kw)
            to_json = chart.to_json

            def synth():
                objects = phase(mine + "synth", to_json)
                if mine:
                    state["forced_objects"] += len(objects)
                return objects

            chart.to_json = synth
            return chart

        return make

    for name, prefix in (("DomainChart", ""), ("SwitchedOffChart", "forced_")):
        if hasattr(pipeline, name):
            setattr(pipeline, name, timed_chart(getattr(pipeline, name), prefix))
    real_build_chart = pipeline.build_chart

    def build_chart(*a, **kw):
        state["synths"] = 0
        return phase("other", real_build_chart, *a, **kw)

    pipeline.build_chart = build_chart
    if hasattr(pipeline, "synthesize"):
        real_synthesize = pipeline.synthesize

        def synthesize(*a, **kw):
            state["prefix"] = "forced_" if state["synths"] else ""
            state["synths"] += 1
            try:
                return real_synthesize(*a, **kw)
            finally:
                state["prefix"] = None

        pipeline.synthesize = synthesize
    real_chart_files, real_package = pipeline.chart_files, pipeline.package_chart
    pipeline.chart_files = lambda *a, **kw: phase("chart", real_chart_files, *a, **kw)
    pipeline.package_chart = lambda *a, **kw: phase("package", real_package, *a, **kw)

    models = phase("load", pipeline.load_models, [Path(p) for p in args.specs])
    builds = phase("other", pipeline.build_all, models)
    phase("write", pipeline.write_outputs, builds, Path(args.worker_out))

    result = {
        "timings": timings,
        "jsii_round_trips": trips,
        "charts": len(builds),
        "apps": sum(len(m.apps) for m in models),
        "objects": sum(len(b.objects) for b in builds),
        "forced_objects": state["forced_objects"],
        "templates": sum(sum(1 for f in b.files if f.startswith("templates/")) for b in builds),
        "package_bytes": sum(len(b.package) for b in builds),
        "python_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "node_peak_mib": _child_peak_kib() / 1024,
    }
    if profiler:
        _write_profile(profiler, Path(args.profile_out))
    print(json.dumps(result))


def _write_profile(profiler, out: Path) -> None:
    import io
    import pstats

    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats(60)
    out.write_text(text.getvalue())


# --------------------------------------------------------------------------- measurements


def timed_process(cmd: list[str], cwd: Path | None = None, env: dict | None = None, stdout=subprocess.DEVNULL) -> dict:
    """Wall seconds, CPU seconds and peak RSS (MiB) of a process and the children it waited for.

    os.wait4 gives the rusage of exactly this child (the CLI re-execs itself, same pid,
    and waits for its jsii node process). CPU time is the figure to trust on a busy
    machine: wall time includes waiting for other people's processes.
    """
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=stdout, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{err.read().decode(errors='replace')[-2000:]}")
    return {"wall": elapsed, "cpu": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024}


def _summary(runs: list[dict]) -> dict:
    return {
        "seconds": statistics.median(r["wall"] for r in runs),
        "cpu_seconds": statistics.median(r["cpu"] for r in runs),
        "runs": [round(r["wall"], 3) for r in runs],
        "peak_rss_mib": max(r["rss_mib"] for r in runs),
    }


def cli_run(project: Path, specs: list[Path], out: Path, repeat: int, env: dict | None = None) -> dict:
    python = _venv_python(project)
    runs = []
    for _ in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        runs.append(timed_process([python, "main.py", *map(str, specs), "--out", str(out)], cwd=project, env=env))
    return _summary(runs)


def inprocess_run(project: Path, specs: list[Path], out: Path, repeat: int, profile_out: Path | None = None) -> dict:
    python = _venv_python(project)
    runs = []
    for _ in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        cmd = [python, "-O", str(Path(__file__).resolve()), "--worker", "--project", str(project), "--worker-out", str(out)]
        if profile_out:
            cmd += ["--profile-out", str(profile_out)]
        cmd += ["--", *map(str, specs)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"in-process worker failed:\n{proc.stderr[-3000:]}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    best = runs[0]
    best["timings"] = {k: statistics.median(r["timings"][k] for r in runs) for k in best["timings"]}
    best["timings"]["total"] = sum(best["timings"].values())
    best["timings"]["marginal_total"] = best["timings"]["total"] - best["timings"]["startup"]
    best["python_peak_mib"] = max(r["python_peak_mib"] for r in runs)
    best["node_peak_mib"] = max(r["node_peak_mib"] for r in runs)
    return best


def helm_env(home: Path) -> dict:
    return {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }


def helm_templates(helm: Path, charts: dict[str, Path], env: dict, runs: int) -> dict[str, dict]:
    """`helm template` of each chart `runs` times, interleaved (one run of each per round), so
    that a slower minute of a shared machine weighs on every chart alike."""
    measured: dict[str, list] = {name: [] for name in charts}
    objects: dict[str, int] = {}
    with tempfile.TemporaryFile() as out:
        for round_ in range(runs):
            for name, chart in charts.items():
                out.seek(0)
                out.truncate()
                measured[name].append(timed_process([str(helm), "template", "bench", str(chart), "--namespace", "bench"], env=env, stdout=out))
                if round_ == runs - 1:  # every run renders the same objects
                    out.seek(0)
                    objects[name] = sum(1 for line in out if line.startswith(b"kind: "))
    return {name: {**_summary(runs_of), "objects": objects[name]} for name, runs_of in measured.items()}


def peer_umbrella(helm: Path, n: int, work: Path, env: dict) -> Path:
    """N copies of the `helm create` chart (renamed as `helm create <name>` would) under one umbrella."""
    seed = work / "seed"
    if not (seed / "zzpeerzz").exists():
        seed.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(helm), "create", "zzpeerzz"], cwd=seed, env=env, check=True, capture_output=True)
    source = seed / "zzpeerzz"
    files = {p.relative_to(source): p.read_text() for p in source.rglob("*") if p.is_file()}
    umbrella = work / f"peer-{n}"
    shutil.rmtree(umbrella, ignore_errors=True)
    (umbrella / "charts").mkdir(parents=True)
    values, deps = {}, []
    for i in range(n):
        name = f"app{i:04d}"
        for rel, text in files.items():
            target = umbrella / "charts" / name / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text.replace("zzpeerzz", name))
        # Same features as our charts: autoscaling and an ingress per app.
        values[name] = {"autoscaling": {"enabled": True}, "ingress": {"enabled": True}}
        deps.append({"name": name, "version": "0.1.0"})
    chart = {"apiVersion": "v2", "name": "peer", "version": "0.1.0", "dependencies": deps}
    (umbrella / "Chart.yaml").write_text(json.dumps(chart, indent=1) + "\n")
    (umbrella / "values.yaml").write_text(json.dumps(values, indent=1) + "\n")
    return umbrella


def static_chart(manifests: Path, work: Path, per_object: bool, values_from: Path | None = None) -> Path:
    """The same objects as a chart of plain manifests, no values: Helm's floor for rendering
    them, as one file in all or one file per object (ours has a file per object). With
    `values_from`, that chart's values.yaml and values.schema.json come along unused: what
    Helm spends loading, merging and validating our values, without a single knob."""
    chart = work / ("static-files" if per_object else "static-values" if values_from else "static")
    shutil.rmtree(chart, ignore_errors=True)
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(json.dumps({"apiVersion": "v2", "name": "static", "version": "0.1.0"}) + "\n")
    for name in ("values.yaml", "values.schema.json") if values_from else ():
        shutil.copy(values_from / name, chart / name)
    text = "".join(p.read_text() for p in sorted(manifests.glob("*.yaml"))).replace("{{", '{{ "{{" }}')  # literal text stays literal
    if not per_object:
        (chart / "templates" / "objects.yaml").write_text(text)
        return chart
    for index, document in enumerate(d for d in text.split("---\n") if d.strip()):
        (chart / "templates" / f"object-{index:05d}.yaml").write_text(document)
    return chart


def floor(row: dict, helm: str) -> dict:
    """The cheaper of the two static charts (CPU), Helm's least cost for these objects."""
    return min((row["static"][helm], row["static_files"][helm]), key=lambda m: m["cpu_seconds"])


def tool_version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=30).stdout.strip()
    except OSError:
        return "not found"


def machine_info(project: Path, helms: dict[str, Path]) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    probe = (
        "import json, platform, importlib.metadata as m, yaml; "
        "print(json.dumps({'python': platform.python_version(), 'cdk8s': m.version('cdk8s'), "
        "'jsii': m.version('jsii'), 'pyyaml': yaml.__version__, 'libyaml': yaml.__with_libyaml__}))"
    )
    try:
        versions = json.loads(tool_version([_venv_python(project), "-c", probe]))
    except ValueError:
        versions = {}
    try:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gib = 0
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_gib, 1),
        "os": platform.platform(),
        "loadavg_start": round(os.getloadavg()[0], 2),
        **versions,
        "node": tool_version(["node", "--version"]),
        "helm": {name: tool_version([str(path), "version", "--template", "{{ .Version }}"]) for name, path in helms.items()},
        "project": str(project),
        "commit": tool_version(["git", "-C", str(project), "rev-parse", "--short", "HEAD"]) or "n/a",
    }


# --------------------------------------------------------------------------- report


def _s(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def marginal(points: list[tuple[int, float]]) -> float | None:
    """Seconds per app between the two largest sizes."""
    if len(points) < 2:
        return None
    (n1, t1), (n2, t2) = sorted(points)[-2:]
    return (t2 - t1) / (n2 - n1)


def evaluate(results: dict) -> list[dict]:
    by_n = {r["apps"]: r for r in results["sizes"]}
    targets = []

    def add(name, value, shown, ok):
        targets.append({"target": name, "value": value, "shown": shown, "ok": bool(ok)})

    if 1000 in by_n:
        cli = by_n[1000]["cli"]
        shown = f"{cli['seconds']:.2f} s (CPU {cli['cpu_seconds']:.2f} s) ≤ {TARGET_E2E_1000:.0f} s"
        add("1000 apps end to end (CLI, wall)", cli["seconds"], shown, cli["seconds"] <= TARGET_E2E_1000)
    m = results.get("marginal_ms_per_app", {})
    if m.get("cli") is not None:
        shown = f"{m['cli']:.2f} ms (CPU {m['cli_cpu']:.2f} ms) ≤ {TARGET_MARGINAL_MS:.0f} ms"
        add("marginal cost per app (CLI, wall)", m["cli"], shown, m["cli"] <= TARGET_MARGINAL_MS)
    for helm in results.get("helms", []):
        if 1000 in by_n and "helm" in by_n[1000]:
            h = by_n[1000]["helm"][helm]
            shown = f"{h['seconds']:.2f} s (CPU {h['cpu_seconds']:.2f} s) ≤ {TARGET_HELM_1000:.0f} s"
            add(f"{helm} template, 1000 apps", h["seconds"], shown, h["seconds"] <= TARGET_HELM_1000)
            if 100 in by_n and "helm" in by_n[100]:
                ratio = h["seconds"] / by_n[100]["helm"][helm]["seconds"]
                add(f"{helm} template growth 100→1000", ratio, f"{ratio:.1f}× ≤ {TARGET_HELM_GROWTH:.0f}×", ratio <= TARGET_HELM_GROWTH)
            if "static_files" in by_n[1000]:
                least, valued = floor(by_n[1000], helm), by_n[1000]["static_values"][helm]
                for what, key, unit in (("CPU", "cpu_seconds", "s"), ("peak memory", "peak_rss_mib", "MiB")):
                    ratio = h[key] / least[key]
                    shown = (
                        f"{ratio:.2f}× ({h[key]:.2f} vs {least[key]:.2f} {unit}) ≤ {TARGET_FLOOR_RATIO}×; "
                        f"the values floor alone is {valued[key] / least[key]:.2f}× ({valued[key]:.2f} {unit})"
                    )
                    add(f"{helm} template {what} vs the static floor, 1000 apps", ratio, shown, ratio <= TARGET_FLOOR_RATIO)
    if 1000 in by_n:
        rss = by_n[1000]["cli"]["peak_rss_mib"]
        add("peak RSS, 1000 apps (largest process of the CLI)", rss, f"{rss:.0f} MiB ≤ {TARGET_RSS_MIB:.0f} MiB", rss <= TARGET_RSS_MIB)
        extra = by_n[1000]["inprocess"]
        both = extra["python_peak_mib"] + extra["node_peak_mib"]
        add("python + node peaks summed, 1000 apps", both, f"{both:.0f} MiB ≤ {TARGET_RSS_MIB:.0f} MiB", both <= TARGET_RSS_MIB)
    multi = results.get("multi_spec")
    if multi:
        share = multi["startup_share_per_extra_spec"]
        add(
            f"start-up paid once ({MULTI_SPECS} specs in one run)",
            share,
            f"{share:.2f} of the start-up per extra spec ≤ {TARGET_STARTUP_SHARE}",
            share <= TARGET_STARTUP_SHARE,
        )
    return targets


def _floor_lines(results: dict, helms: list[str]) -> list[str]:
    """helm template of ours against the static floor and the values floor: CPU and peak memory, same objects."""
    lines = [
        "",
        "Against Helm's floor: the same objects as plain manifests with no values, rendered by the same `helm template` "
        "in the same run, as one file in all and as one file per object (ours has a file per object); the floor is the "
        "cheaper of the two. The values floor is the one-file floor plus our chart's values.yaml and values.schema.json, "
        "which no template reads: what Helm spends loading, merging and validating the values before any knob. "
        "CPU seconds and peak RSS of the helm process; × = ours / floor.",
        "",
        "| apps | helm | ours CPU | floor CPU (1 file / per object) | values floor CPU | CPU × floor | CPU × values floor "
        "| ours MiB | floor MiB | values floor MiB | MiB × floor | MiB × values floor |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["sizes"]:
        if "static_files" not in r:
            continue
        for h in helms:
            ours, least, one, each, valued = r["helm"][h], floor(r, h), r["static"][h], r["static_files"][h], r["static_values"][h]
            cells = [
                _s(ours["cpu_seconds"]),
                f"{one['cpu_seconds']:.2f} / {each['cpu_seconds']:.2f}",
                _s(valued["cpu_seconds"]),
                f"{ours['cpu_seconds'] / least['cpu_seconds']:.2f}",
                f"{ours['cpu_seconds'] / valued['cpu_seconds']:.2f}",
                f"{ours['peak_rss_mib']:.0f}",
                f"{least['peak_rss_mib']:.0f}",
                f"{valued['peak_rss_mib']:.0f}",
                f"{ours['peak_rss_mib'] / least['peak_rss_mib']:.2f}",
                f"{ours['peak_rss_mib'] / valued['peak_rss_mib']:.2f}",
            ]
            lines.append(f"| {r['apps']} | {h} | " + " | ".join(cells) + " |")
    return lines


def _per_object_lines(results: dict, helms: list[str]) -> list[str]:
    """ms per rendered object: ours, the static floor, and the peer; the peer renders other objects, so only per object compares."""
    lines = [
        "",
        "Per object (ms of wall time per rendered object). Floor = the static chart above. Over floor = ours minus floor, "
        "the cost of the chart's knobs per object. Peer ratio = ours per object / peer per object (< 1: ours renders an "
        "object faster); the peer renders other objects (6 per app, ours about 4), so totals do not compare.",
        "",
        "| apps | " + " | ".join(f"{h} ours | {h} floor | {h} over floor | {h} peer | {h} peer ratio" for h in helms) + " |",
        "| ---: | " + " | ".join("---: | ---: | ---: | ---: | ---:" for _ in helms) + " |",
    ]
    for r in results["sizes"]:
        if "static_files" not in r:
            continue
        cells = []
        for h in helms:
            ours, least, peer = r["helm"][h], floor(r, h), r["peer"][h]
            per = [x["seconds"] * 1000 / x["objects"] for x in (ours, least, peer)]
            cells += [f"{per[0]:.2f}", f"{per[1]:.2f}", f"{per[0] - per[1]:.2f}", f"{per[2]:.2f}", f"{per[0] / per[2]:.2f}"]
        lines.append(f"| {r['apps']} | " + " | ".join(cells) + " |")
    return lines


def markdown(results: dict) -> str:
    info = results["machine"]
    helms = results.get("helms", [])
    load = f"load average {info['loadavg_start']} at start, {results.get('loadavg_end', '?')} at end"
    lines = [
        "# Benchmark results",
        "",
        f"{info['date']} · {info['nproc']} × {info['cpu']} · {info['memory_gib']} GiB · {load} · "
        f"Python {info.get('python', '?')} · cdk8s {info.get('cdk8s', '?')} · jsii {info.get('jsii', '?')} · node {info['node']} · "
        f"PyYAML {info.get('pyyaml', '?')} (libyaml {info.get('libyaml', '?')}) · "
        + " · ".join(f"{k} {v}" for k, v in info["helm"].items())
        + f" · commit {info['commit']} · medians of {results['repeat']}",
        "",
    ]
    if max(info["loadavg_start"], results.get("loadavg_end", 0)) > 0.5 * (info["nproc"] or 1):
        lines += [
            f"> **Busy machine** ({load} on {info['nproc']} cores): wall times include waiting for other "
            "processes; CPU seconds (the CLI, its jsii node process and helm, from wait4) are the steadier figure.",
            "",
        ]
    lines += [
        "## Generator",
        "",
        "Seconds. CLI = `python main.py spec.yaml --out DIR`, process start to packaged .tgz (wall, and CPU of the "
        "process tree). In-process phases: the real pipeline under `python -O`, a fresh process per size; "
        "start-up = import cdk8s + jsii kernel; forced = building and synthesizing the objects switched off by default, "
        "which only need their guarded templates (SwitchedOffChart; older pipelines synthesized the whole chart again); "
        "other = the rest of build_all.",
        "",
        "| apps | objects (+forced) | CLI wall | CLI CPU | peak RSS MiB | start-up | load | construct | synth | forced | chart | package | write "
        "| other | in-proc total | jsii calls |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["sizes"]:
        ip = r["inprocess"]
        t = ip["timings"]
        forced = t["forced_construct"] + t["forced_synth"]
        calls = sum(ip["jsii_round_trips"].values())
        lines.append(
            f"| {r['apps']} | {ip['objects']} (+{ip['forced_objects']}) | {_s(r['cli']['seconds'])} | {_s(r['cli']['cpu_seconds'])} | "
            f"{r['cli']['peak_rss_mib']:.0f} | {_s(t['startup'])} | {_s(t['load'])} | {_s(t['construct'])} | {_s(t['synth'])} | "
            f"{_s(forced)} | {_s(t['chart'])} | {_s(t['package'])} | {_s(t['write'])} | {_s(t['other'])} | {_s(t['total'])} | {calls} |"
        )
    m = results.get("marginal_ms_per_app")
    if m:
        lines += [
            "",
            f"Marginal cost per app (between the two largest sizes): CLI {m['cli']:.2f} ms wall, {m['cli_cpu']:.2f} ms CPU; "
            f"in-process {m['inprocess']:.2f} ms.",
        ]
    optimise = results.get("optimise")
    if optimise:
        saved = 1 - optimise["with"] / optimise["without"]
        lines += [
            "",
            f"`python -O` (main.py re-runs itself with it: jsii's generated bindings skip their type checks): {optimise['apps']} apps "
            f"take {optimise['with']:.2f} s of CPU with it, {optimise['without']:.2f} s without (EHCF_NO_REEXEC=1), {saved:.0%} saved.",
        ]
    multi = results.get("multi_spec")
    if multi:
        lines += [
            "",
            f"Many specs in one run: {MULTI_SPECS} specs × {MULTI_APPS} apps in one CLI run took {multi['multi']:.2f} s; "
            f"one such spec {multi['single']:.2f} s, a 1-app spec (the fixed cost) {multi['fixed']:.2f} s, so "
            f"{MULTI_SPECS} separate runs would take {MULTI_SPECS * multi['single']:.2f} s. "
            f"Share of the start-up paid again per extra spec: {multi['startup_share_per_extra_spec']:.2f} (0 = once, 1 = every spec).",
        ]
    if helms:
        lines += [
            "",
            "## helm template",
            "",
            "Seconds (wall), median of ≥ 5, rendering the packaged .tgz. Peer = the chart `helm create` writes, one subchart "
            "per app in one umbrella chart (autoscaling and ingress on), one `helm template` call; it renders other "
            "objects, so compare it per object (below), not in total.",
            "",
            "| apps | " + " | ".join(f"{h} ours | {h} CPU | {h} peer" for h in helms) + " | objects ours / peer |",
            "| ---: | " + " | ".join("---: | ---: | ---:" for _ in helms) + " | ---: |",
        ]
        for r in results["sizes"]:
            if "helm" not in r:
                continue
            cells = []
            for h in helms:
                ours, peer = r["helm"][h], r.get("peer", {}).get(h)
                cells += [_s(ours["seconds"]), _s(ours["cpu_seconds"]), _s(peer and peer["seconds"])]
            h0 = helms[0]
            peer_objects = r.get("peer", {}).get(h0, {}).get("objects", "–")
            lines.append(f"| {r['apps']} | " + " | ".join(cells) + f" | {r['helm'][h0]['objects']} / {peer_objects} |")
        lines += _floor_lines(results, helms)
        lines += _per_object_lines(results, helms)
    targets = results.get("targets", [])
    if targets:
        lines += ["", "## Targets (issues #8 and #17)", "", "| target | measured | ok |", "| --- | --- | :---: |"]
        lines += [f"| {t['target']} | {t['shown']} | {'✅' if t['ok'] else '❌'} |" for t in targets]
    if results.get("profile"):
        lines += ["", f"cProfile of the in-process run of {results['profile']['apps']} apps: `{results['profile']['file']}` (next to this file)."]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000", help="comma-separated app counts (default 10,100,1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; medians are reported (default 3)")
    parser.add_argument("--project", type=Path, default=DEFAULT_PROJECT, help="project to benchmark (default: this repo)")
    parser.add_argument("--results", type=Path, default=BENCH_DIR / "results", help="where latest.md/json go")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="also cProfile the in-process run of N apps")
    parser.add_argument("--no-helm", action="store_true", help="skip helm template and the peer baseline")
    parser.add_argument("--no-multi", action="store_true", help="skip the many-specs-in-one-run measurement")
    parser.add_argument("--keep", action="store_true", help="keep the generated specs and outputs (path printed)")
    # Internal: one in-process measurement (run under python -O).
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    parser.add_argument("specs", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.project = args.project.resolve()
    if args.worker:
        worker(args)
        return 0

    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    repeat = max(1, args.repeat)
    helms = {}
    if not args.no_helm:
        for name in ("helm3", "helm4"):
            path = args.project / ".tools" / "bin" / name
            path = path if path.exists() else DEFAULT_PROJECT / ".tools" / "bin" / name
            if path.exists():
                helms[name] = path
            else:
                print(f"[bench] {name} not found (scripts/setup.sh --test): skipped", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="ehcf-bench-"))
    henv = helm_env(work / "helm-home")
    results: dict = {"machine": machine_info(args.project, helms), "repeat": repeat, "helms": list(helms), "sizes": []}

    def log(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    try:
        for n in sizes:
            spec = write_spec(work / f"spec-{n}.yaml", synthetic_spec(n))
            log(f"{n} apps: CLI ×{repeat}")
            cli = cli_run(args.project, [spec], work / f"out-{n}", repeat)
            log(f"{n} apps: in-process phases ×{repeat}")
            inproc = inprocess_run(args.project, [spec], work / f"inproc-{n}", repeat)
            row = {"apps": n, "spec_bytes": spec.stat().st_size, "cli": cli, "inprocess": inproc}
            package = next((work / f"out-{n}" / "packages").glob("*.tgz"))
            row["package_bytes"] = package.stat().st_size
            if helms:
                runs = max(HELM_MIN_RUNS, repeat)
                manifests = work / f"out-{n}" / "manifests"
                charts = {
                    "helm": package,
                    "peer": peer_umbrella(next(iter(helms.values())), n, work / "peer", henv),
                    "static": static_chart(manifests, work, per_object=False),
                    "static_files": static_chart(manifests, work, per_object=True),
                    "static_values": static_chart(manifests, work, per_object=False, values_from=next((work / f"out-{n}" / "charts").iterdir())),
                }
                for key in charts:
                    row[key] = {}
                for name, helm in helms.items():
                    log(f"{n} apps: {name} template ×{runs}, interleaved (ours, peer, static floor in one file, a file per object, with our values)")
                    for key, measured in helm_templates(helm, charts, henv, runs).items():
                        row[key][name] = measured
                shutil.rmtree(charts["peer"], ignore_errors=True)
            results["sizes"].append(row)
        optimised = [n for n in sizes if n <= OPTIMISE_APPS]
        if optimised:
            n = max(optimised)
            log(f"{n} apps: CLI without -O ×{repeat}")
            spec = work / f"spec-{n}.yaml"
            plain = cli_run(args.project, [spec], work / "out-plain", repeat, env={**os.environ, "EHCF_NO_REEXEC": "1"})
            with_o = next(r["cli"] for r in results["sizes"] if r["apps"] == n)
            results["optimise"] = {"apps": n, "with": with_o["cpu_seconds"], "without": plain["cpu_seconds"]}
        if len(sizes) >= 2:
            results["marginal_ms_per_app"] = {
                "cli": marginal([(r["apps"], r["cli"]["seconds"]) for r in results["sizes"]]) * 1000,
                "cli_cpu": marginal([(r["apps"], r["cli"]["cpu_seconds"]) for r in results["sizes"]]) * 1000,
                "inprocess": marginal([(r["apps"], r["inprocess"]["timings"]["total"]) for r in results["sizes"]]) * 1000,
            }
        if not args.no_multi:
            log(f"many specs: {MULTI_SPECS} × {MULTI_APPS} apps in one run ×{repeat}")
            specs = [write_spec(work / f"multi-{k}.yaml", synthetic_spec(MULTI_APPS, domain=f"multi{k}")) for k in range(MULTI_SPECS)]
            fixed_spec = write_spec(work / "fixed.yaml", synthetic_spec(1, domain="fixed"))
            fixed = cli_run(args.project, [fixed_spec], work / "out-fixed", repeat)["seconds"]
            single = cli_run(args.project, specs[:1], work / "out-single", repeat)["seconds"]
            multi = cli_run(args.project, specs, work / "out-multi", repeat)["seconds"]
            # If start-up is paid once: multi = fixed + K (single - fixed). Every time: multi = K single.
            share = (multi - fixed - MULTI_SPECS * (single - fixed)) / ((MULTI_SPECS - 1) * fixed)
            results["multi_spec"] = {"fixed": fixed, "single": single, "multi": multi, "startup_share_per_extra_spec": max(0.0, share)}
        if args.profile:
            spec = write_spec(work / f"spec-{args.profile}.yaml", synthetic_spec(args.profile))
            out = args.results / f"profile-{args.profile}.txt"
            args.results.mkdir(parents=True, exist_ok=True)
            log(f"profiling {args.profile} apps → {out}")
            results["profile"] = {
                "apps": args.profile,
                "file": out.name,
                "timings": inprocess_run(args.project, [spec], work / "inproc-profile", 1, profile_out=out)["timings"],
            }
        results["loadavg_end"] = round(os.getloadavg()[0], 2)
        results["targets"] = evaluate(results)
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    args.results.mkdir(parents=True, exist_ok=True)
    text = markdown(results)
    (args.results / "latest.md").write_text(text)
    (args.results / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(text)
    return 0 if all(t["ok"] for t in results["targets"]) else 1


if __name__ == "__main__":
    _reexec()
    sys.exit(main())
