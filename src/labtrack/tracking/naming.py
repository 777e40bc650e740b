"""Readable random run names, like MLflow's ("bright-owl-42")."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "eager", "fair", "fleet",
    "gentle", "glad", "grand", "keen", "kind", "lively", "lucky", "mellow", "nimble", "proud",
    "quick", "quiet", "rapid", "sharp", "shy", "sleek", "steady", "sunny", "swift", "witty",
)
_NOUNS = (
    "ant", "bat", "bee", "crane", "deer", "dove", "eel", "finch", "fox", "frog", "gull", "hare",
    "hawk", "heron", "ibis", "jay", "koala", "lark", "lynx", "mole", "moth", "newt", "otter",
    "owl", "panda", "quail", "seal", "slug", "swan", "toad", "wren", "yak",
)


def random_run_name() -> str:
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(1, 999)}"
