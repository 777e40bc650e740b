from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import labtrack as lt

DATA = re.compile(
    r'<script type="application/json" id="labtrack-report-data">(.*?)</script>', re.DOTALL
)


def read_payload(path: Path) -> dict:
    """The data a written report carries (what its script reads)."""
    blocks = DATA.findall(path.read_text(encoding="utf-8"))
    assert len(blocks) == 1
    return json.loads(blocks[0])


@pytest.fixture
def payload():
    """``payload(path)``: the data of the report written at ``path``."""
    return read_payload


@pytest.fixture
def sweep(tracking_uri):
    """Four finished runs over lr and optimizer, with loss and acc curves; returns name -> id."""
    lt.set_experiment("sweep")
    ids = {}
    for name, lr, optimizer in [
        ("a", 0.1, "sgd"),
        ("b", 0.01, "adam"),
        ("c", 0.001, "adam"),
        ("d", 0.3, "sgd"),
    ]:
        with lt.start_run(run_name=name) as run:
            lt.log_params({"lr": lr, "optimizer": optimizer, "seed": 0})
            for step in range(20):
                lt.log_metrics(
                    {"loss": 1 / (1 + step * lr * 10), "acc": 1 - 1 / (2 + step * lr)}, step=step
                )
        ids[name] = run.info.run_id
    return ids
