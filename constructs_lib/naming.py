"""Resource names and service-type detection, exactly as the seed names things."""

from __future__ import annotations

import hashlib
import re

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


def detect_type(app: str) -> str:
    """The seed's rule on word parts: last word `api` → api; a word processor/worker → processor."""
    words = re.split(r"[_-]+", app.lower())
    if words[-1] == "api":
        return API
    if "processor" in words or "worker" in words:
        return PROCESSOR
    return API


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
