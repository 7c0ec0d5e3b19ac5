"""Resource names and service-type detection, exactly as the seed names things."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

MAX_NAME = 63
HASH_LEN = 8
# What users may call a domain, chart or app: a letter first, then letters,
# digits, '_' or '-', ending alphanumeric. It is also a valid label value, so the
# name as written can be kept on every object.
IDENTIFIER = re.compile(r"^[A-Za-z](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$")

API, PROCESSOR, JOB, CRONJOB = "api", "processor", "job", "cronjob"
SERVICE_TYPES = (API, PROCESSOR, JOB, CRONJOB)
# The CronJob controller appends 11 characters to name each Job it creates.
MAX_CRONJOB_NAME = 52


@dataclass(frozen=True)
class TypeChoice:
    """An app's type and how it was decided (shown by the CLI)."""

    type: str
    reason: str
    routed: bool  # an api the Ingress routes without being asked: not a name that matched no rule


FALLBACK = "fallback: the name matches no rule"


def choose_type(app: str, written: str = "") -> TypeChoice:
    """The seed's rule on word parts: last word `api` → api; a word processor/worker →
    processor; anything else → api. Only an api the name (or `type`) calls one is routed:
    `celery_beat` would get an Ingress path nobody asked for."""
    if written:
        return TypeChoice(written, "type written", True)
    words = re.split(r"[_-]+", app.lower())
    if words[-1] == "api":
        return TypeChoice(API, "name ends in api", True)
    for word in ("processor", "worker"):
        if word in words:
            return TypeChoice(PROCESSOR, f"name has the word {word}", False)
    if "api" in words:
        return TypeChoice(API, "name has the word api", True)
    return TypeChoice(API, FALLBACK, False)


def detect_type(app: str) -> str:
    return choose_type(app).type


def dashed(identifier: str) -> str:
    """DNS-1123 form of a user identifier: lower case, underscores become dashes."""
    return identifier.lower().replace("_", "-")


def short_hash(text: str, length: int = HASH_LEN) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def resource_name(*parts: str, suffix: str = "", limit: int = MAX_NAME) -> str:
    """`{parts}-…{suffix}` within `limit` chars; too long → truncated + stable hash, suffix kept."""
    full = "-".join(dashed(p) for p in parts) + suffix
    if len(full) <= limit:
        return full
    tag = "-" + short_hash(full)
    head = full[: limit - len(tag) - len(suffix)].rstrip("-")
    return head + tag + suffix


def chart_name(domain: str, chart: str) -> str:
    return resource_name(domain, chart)
