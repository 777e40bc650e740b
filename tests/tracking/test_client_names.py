"""One class per name: ``TrackingClient`` is the tracking half, ``labtrack.Client`` (MLflow's
``MlflowClient``) the full client, tracking and registry."""

from __future__ import annotations

import labtrack as lt
from labtrack import tracking
from labtrack.registry.client import RegistryClient
from labtrack.tracking import client as tracking_client
from labtrack.tracking.client import TrackingClient


def test_the_tracking_half_is_named_for_what_it_is_and_the_full_client_builds_on_it():
    assert not hasattr(tracking_client, "Client")  # no second class answering to Client
    assert lt.Client is lt.MlflowClient is tracking.MlflowClient is tracking.Client
    assert issubclass(lt.Client, TrackingClient) and issubclass(lt.Client, RegistryClient)
    assert not issubclass(TrackingClient, RegistryClient)
