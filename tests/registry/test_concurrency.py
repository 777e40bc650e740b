"""Processes registering versions of one model at the same moment never share a number."""

from __future__ import annotations

import multiprocessing

import labtrack as lt

WORKERS = 4
VERSIONS_EACH = 5


def _register(uri: str, barrier, results) -> None:
    lt.set_tracking_uri(uri)
    barrier.wait()  # all processes registering at once, the model not yet created
    results.put(
        [lt.register_model("/tmp/model", "contended").version for _ in range(VERSIONS_EACH)]
    )


def test_concurrent_registrations_get_versions_one_to_n(tracking_uri):
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    workers = [
        context.Process(target=_register, args=(tracking_uri, barrier, results))
        for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    given = [number for _ in workers for number in results.get(timeout=240)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    total = WORKERS * VERSIONS_EACH
    assert sorted(given) == list(range(1, total + 1))
    client = lt.Client()
    stored = client.search_model_versions("name = 'contended'")
    assert sorted(v.version for v in stored) == list(range(1, total + 1))
    actions = [e.action for e in client.get_registry_history("contended")]
    assert actions.count("create_model") == 1 and actions.count("create_version") == total
