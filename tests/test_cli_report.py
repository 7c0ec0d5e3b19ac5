"""What a successful run tells a person: each chart's apps with their type and why,
its objects by kind, the paths written; a warning for the placeholder registry."""

from __future__ import annotations

from conftest import run_cli

SPEC = """\
domain: shop
charts:
  web:
    features: {ingress: true, pdb: true}
    apps:
      cart_api: {}
      celery_beat: {}
      mail_worker: {}
      cleanup: {type: job}
"""


def test_the_summary_names_types_reasons_objects_and_paths(tmp_path):
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC)
    result = run_cli(spec, "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "shop-web 0.1.0 (shop.yaml: charts.web)",
        "  cart_api     api        name ends in api",
        "  celery_beat  api        fallback: the name matches no rule; not routed unless asked (ingress.enabled)",
        "  mail_worker  processor  name has the word worker",
        "  cleanup      job        type written",
        "  objects: 3 Deployment, 2 Service, 3 PodDisruptionBudget, 1 Job, 1 Ingress",
        "  wrote out/manifests/shop-web.k8s.yaml",
        "  wrote out/charts/shop-web/",
        "  wrote out/packages/shop-web-0.1.0.tgz",
    ]
    assert result.stderr.splitlines() == [
        "warning: shop.yaml: images come from registry.example.com, a placeholder; set image_registry (or each app's image)"
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["charts", "manifests", "packages"]  # no lock file


def test_quiet_prints_nothing_and_a_real_registry_needs_no_warning(tmp_path):
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC)
    quiet = run_cli(spec, "--out", tmp_path / "out", "--quiet")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    spec.write_text("image_registry: ghcr.io/shop\n" + SPEC)
    loud = run_cli(spec, "--out", tmp_path / "out")
    assert loud.returncode == 0 and loud.stdout and loud.stderr == ""
