"""A deployment that serves ``models:/<name>@<alias>`` follows the alias: when a promotion
moves it, the new version is loaded and swapped in without a restart (requests in flight
finish on the old one), the run's ``labtrack.deployment.model_version`` tag changes, and the
registered model's tag ``labtrack.deployment.<deployment name>`` is set to the version now
served, so the model's registry history says when each deployment took up which version.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from labtrack.errors import NotFound

if TYPE_CHECKING:
    from labtrack.client import Client
    from labtrack.production.record import DeploymentRun

logger = logging.getLogger("labtrack.production")

_ALIAS_URI = re.compile(r"models:/(?P<name>.+)@(?P<alias>[^@/]+)")


def registry_tag(deployment_name: str) -> str:
    """The registered model's tag that holds the version deployment ``deployment_name`` serves."""
    return f"labtrack.deployment.{deployment_name}"


def parse_alias_uri(model_uri: str) -> tuple[str, str] | None:
    """``(model name, alias)`` of a ``models:/<name>@<alias>`` URI, else None."""
    match = _ALIAS_URI.fullmatch(model_uri.strip().rstrip("/"))
    return (match["name"], match["alias"]) if match else None


def record_in_registry(client: Client, deployment_name: str, model_name: str, version: str) -> None:
    """Set the model's tag for this deployment to ``version`` (a registry history entry from
    the version served before), unless it already says so."""
    key = registry_tag(deployment_name)
    current = client.get_registered_model(model_name).tags.get(key)
    if current != version:
        client.set_registered_model_tag(model_name, key, version)


class AliasFollower:
    """Checks the alias a deployment serves and swaps in the version it moves to."""

    def __init__(
        self,
        deployment: DeploymentRun,
        model_name: str,
        alias: str,
        on_new_version: Callable[[Any, str], None],
    ):
        self.deployment = deployment
        self.model_name = model_name
        self.alias = alias
        self.on_new_version = on_new_version
        self._missing_reported = False
        # Served and recorded apart: a record that failed (the store away) is retried at the
        # next check, while the model swapped in stays swapped in.
        self._served = deployment.model_version

    def check(self) -> str | None:
        """Serve the alias's version if it moved; returns the new version, else None. An
        alias that was deleted leaves the version served as it is (said once in the log)."""
        from labtrack.models.load import load_model
        from labtrack.models.model_uri import resolve

        client = self.deployment.client
        try:
            version = str(client.get_model_version_by_alias(self.model_name, self.alias).version)
        except NotFound:
            if not self._missing_reported:
                self._missing_reported = True
                logger.warning(
                    "deployment %s: model %r has no alias %r any more; still serving version %s",
                    self.deployment.name,
                    self.model_name,
                    self.alias,
                    self.deployment.model_version,
                )
            return None
        self._missing_reported = False
        if version == self._served == self.deployment.model_version:
            return None
        if version != self._served:
            # The version itself, not the alias again: the alias may move while this loads.
            model = load_model(resolve(f"models:/{self.model_name}/{version}").folder)
            self.on_new_version(model, version)
            self._served = version
        record_in_registry(client, self.deployment.name, self.model_name, version)
        self.deployment.set_model_version(version)  # last: marks the move recorded
        logger.info(
            "deployment %s: now serving %s version %s (alias %r moved)",
            self.deployment.name,
            self.model_name,
            version,
            self.alias,
        )
        return version


def follower_for(
    deployment: DeploymentRun, model_uri: str, on_new_version: Callable[[Any, str], None]
) -> AliasFollower | None:
    """An ``AliasFollower`` if ``model_uri`` names a model by alias, else None."""
    parsed = parse_alias_uri(model_uri)
    if parsed is None:
        return None
    return AliasFollower(deployment, *parsed, on_new_version)
