"""Table tests: type detection and resource names as the seed fixes them."""

import pytest

from constructs_lib.spec.naming import API, FALLBACK, PROCESSOR, choose_type, detect_type, resource_name

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        ("experience_api", API),
        ("status_api", API),
        ("worker_dal_api", API),  # the original system called this a processor
        ("api_server", API),
        ("hello_api", API),
        ("status_processor", PROCESSOR),
        ("background_processor", PROCESSOR),
        ("processor", PROCESSOR),
        ("worker", PROCESSOR),
        ("email-worker", PROCESSOR),
        ("Queue_Worker", PROCESSOR),
        ("frontend", API),
        ("workerbee", API),  # word parts, not substrings
        ("processors_api", API),
    ],
)
def test_detect_type(app, expected):
    assert detect_type(app) == expected


@pytest.mark.parametrize(
    ("app", "reason", "routed"),
    [
        ("worker_dal_api", "name ends in api", True),
        ("email-worker", "name has the word worker", False),
        ("status_processor", "name has the word processor", False),
        ("api_server", "name has the word api", True),
        ("celery_beat", FALLBACK, False),
        ("workerbee", FALLBACK, False),
    ],
)
def test_the_type_says_how_it_was_decided(app, reason, routed):
    choice = choose_type(app)
    assert (choice.reason, choice.routed) == (reason, routed)
    assert choose_type(app, "job").reason == "type written"


@pytest.mark.parametrize(
    ("parts", "suffix", "expected"),
    [
        (("manman", "production_chart", "experience_api"), "", "manman-production-chart-experience-api"),
        (("manman", "production_chart", "experience_api"), "-service", "manman-production-chart-experience-api-service"),
        (("demo", "api_chart"), "-ingress", "demo-api-chart-ingress"),
        (("MyApp", "Prod", "Api_Server"), "-pdb", "myapp-prod-api-server-pdb"),
    ],
)
def test_resource_name(parts, suffix, expected):
    assert resource_name(*parts, suffix=suffix) == expected


def test_long_names_are_shortened_with_a_stable_hash_and_keep_their_suffix():
    app = "a" * 40
    name = resource_name("domain", "some_long_chart_name", app, suffix="-service")
    assert len(name) == 63
    assert name.endswith("-service")
    assert name == resource_name("domain", "some_long_chart_name", app, suffix="-service")
    other = resource_name("domain", "some_long_chart_name", app[:-1] + "b", suffix="-service")
    assert other != name and len(other) == 63


def test_hash_covers_the_suffix_so_kinds_of_one_app_never_collide():
    parts = ("domain", "chart", "x" * 70)
    names = {resource_name(*parts, suffix=s) for s in ("", "-service", "-pdb", "-hpa")}
    assert len(names) == 4
    assert all(len(n) <= 63 for n in names)


@pytest.mark.parametrize("limit", [54, 63])
def test_shortened_names_are_valid_dns_labels(limit):
    import re

    name = resource_name("d", "c", "app_" + "z" * 80, limit=limit)
    assert len(name) <= limit
    assert re.match(DNS1123_LABEL, name)
