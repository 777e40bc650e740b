"""``RegistryClient``: the model registry's half of ``Client``, with MLflow's method names.

Arguments are validated here, at the call site; versions may be ints or strs (MLflow passes
strs) and stages any case. Every change is recorded in the registry's history with the
current user (the process's login, or ``user=`` when the caller knows better); transitions
and aliases take an optional ``comment=`` for it (a labtrack extension). Mixed into
``labtrack.client.Client`` beside the tracking half, which gives it its store's registry part
and its way to open a run's artifacts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from labtrack.entities import ModelVersion, ModelVersionStage, RegisteredModel, RegistryEvent
from labtrack.entities.logged_model import MODEL_ID
from labtrack.errors import InvalidParameter, NotFound
from labtrack.registry import validation as rv
from labtrack.runs_uri import is_runs_uri, parse_runs_uri
from labtrack.tracking import validation as v
from labtrack.tracking.client import PagedList
from labtrack.tracking.context import current_user

if TYPE_CHECKING:
    from labtrack.artifacts import ArtifactRepository
    from labtrack.store.sql.store import Registry


class RegistryClient:
    """The model registry's methods of ``Client`` (MLflow's ``MlflowClient`` names): registered
    models, their versions, stages, aliases and tags, and labtrack's history of changes.

    It works on what it is given, nothing else: ``registry``, a store's registry part
    (``store.registry``, SQL or HTTP), and ``run_artifacts``, which opens a run's artifact
    repository (``get_model_version_download_uri`` resolves ``runs:/`` sources with it).
    ``lt.Client()`` gives its tracking half's, on the same store.

    >>> from labtrack.artifacts import open_repository                  # doctest: +SKIP
    >>> store = get_store(uri)
    >>> registry = RegistryClient(
    ...     store.registry, lambda run_id: open_repository(store.runs.get_run(run_id).info.artifact_uri)
    ... )
    """

    def __init__(
        self, registry: Registry, run_artifacts: Callable[[str], ArtifactRepository]
    ) -> None:
        self._registry = registry
        self._run_artifacts = run_artifacts

    # -- registered models ----------------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        tags: dict | None = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
        *,
        user: str | None = None,
    ) -> RegisteredModel:
        """Create an empty registered model; AlreadyExists if the name is taken.
        ``deployment_job_id`` (Databricks deployment jobs) is refused."""
        _no_deployment_job(deployment_job_id)
        return self._registry.create_registered_model(
            rv.validate_model_name(name),
            v.validate_tags(tags or {}),
            rv.validate_text(description, "description"),
            user=_user(user),
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        """A model with its tags, ``aliases`` (alias -> version) and ``latest_versions``
        (the newest version in each stage)."""
        return self._registry.get_registered_model(rv.validate_model_name(name))

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Models matching ``name = 'x'``, ``name LIKE 'x%'`` (or ILIKE) and ``tags.k = 'v'``,
        joined with AND; ``order_by`` e.g. ``["name DESC"]`` or ``["last_updated_timestamp DESC"]``.

        >>> Client().search_registered_models("name LIKE 'iris%'")  # doctest: +SKIP
        """
        models, token = self._registry.search_registered_models(
            filter_string,
            _max_results(max_results),
            order_by,
            page_token,
        )
        return PagedList(models, token)

    def rename_registered_model(
        self, name: str, new_name: str, *, user: str | None = None
    ) -> RegisteredModel:
        """Rename a registered model and return it under its new name; its versions, tags and
        aliases move with it. Raises ``NotFound`` for an unknown model and ``AlreadyExists`` if
        ``new_name`` is taken. ``user`` is who the registry's history records (the process's login
        by default).
        """
        return self._registry.rename_registered_model(
            rv.validate_model_name(name),
            rv.validate_model_name(new_name),
            user=_user(user),
        )

    def update_registered_model(
        self,
        name: str,
        description: str | None = None,
        deployment_job_id: str | None = None,
        *,
        user: str | None = None,
    ) -> RegisteredModel:
        """Set a registered model's description (None clears it) and return the model. Raises
        ``NotFound`` for an unknown model. ``user`` is who the registry's history records (the
        process's login by default). ``deployment_job_id`` (Databricks) is refused.
        """
        _no_deployment_job(deployment_job_id)
        return self._registry.update_registered_model(
            rv.validate_model_name(name),
            rv.validate_text(description, "description"),
            user=_user(user),
        )

    def delete_registered_model(self, name: str, *, user: str | None = None) -> None:
        """Delete a model with all its versions, tags and aliases (its history is kept)."""
        self._registry.delete_registered_model(rv.validate_model_name(name), user=_user(user))

    def set_registered_model_tag(
        self, name: str, key: str, value: object, *, user: str | None = None
    ) -> None:
        """Set a tag on a registered model, replacing any earlier value (stored as a string). Raises
        ``NotFound`` for an unknown model. ``user`` is who the registry's history records (the
        process's login by default).
        """
        key, value = v.validate_tags({key: value}).popitem()
        self._registry.set_registered_model_tag(
            rv.validate_model_name(name), key, value, user=_user(user)
        )

    def delete_registered_model_tag(self, name: str, key: str, *, user: str | None = None) -> None:
        """Remove a tag from a registered model. Raises ``NotFound`` if the model or the tag does
        not exist. ``user`` is who the registry's history records (the process's login by default).
        """
        self._registry.delete_registered_model_tag(
            rv.validate_model_name(name),
            v.validate_key(key, "tag"),
            user=_user(user),
        )

    # -- versions -------------------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = 300,
        model_id: str | None = None,
        *,
        user: str | None = None,
        create_model: bool = False,
    ) -> ModelVersion:
        """Register ``source`` (``runs:/<run_id>/<path>``, ``models:/<model_id>``, or a path)
        as the next version of an existing model. Concurrent callers always get distinct,
        consecutive numbers. A local path is stored absolute.

        ``model_id`` (MLflow 3's) is the logged model the version registers, read back as
        ``ModelVersion.model_id``; it must exist. Without a ``run_id``, a version of a logged
        model (``model_id``, or a ``models:/<model_id>`` source) records the run that logged
        it, as in MLflow.

        ``create_model=True`` (a labtrack extension, what ``lt.register_model`` uses) creates
        the registered model first if it does not exist, in the same transaction, so that
        concurrent first registrations agree on one model. The version is ready when this
        returns: ``await_creation_for`` has nothing to wait for.
        """
        if not isinstance(create_model, bool):
            raise InvalidParameter(f"create_model must be True or False, got {create_model!r}")
        return self._registry.create_model_version(
            rv.validate_model_name(name),
            rv.absolute_source(rv.validate_source(source)),
            rv.validate_run_id(run_id),
            v.validate_tags(tags or {}),
            rv.validate_text(description, "description"),
            rv.validate_text(run_link, "run_link"),
            user=_user(user),
            create_model=create_model,
            model_id=_model_id(model_id),
        )

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """The ``ModelVersion`` ``version`` (an int or a numeric str) of a registered model, with
        its stage, source, run id, tags and aliases. Raises ``NotFound`` if there is no such model
        or version.
        """
        return self._registry.get_model_version(
            rv.validate_model_name(name), rv.validate_version(version)
        )

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10_000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Versions matching ``name = 'x'``, ``run_id = '...'`` (or ``IN (...)``),
        ``source_path``, ``version_number`` and ``tags.k``, joined with AND; by name, then newest
        version first, unless ``order_by`` says otherwise.

        >>> Client().search_model_versions(f"run_id = '{run_id}'")  # doctest: +SKIP
        """
        versions, token = self._registry.search_model_versions(
            filter_string,
            _max_results(max_results),
            order_by,
            page_token,
        )
        return PagedList(versions, token)

    def update_model_version(
        self,
        name: str,
        version: int | str,
        description: str | None = None,
        *,
        user: str | None = None,
    ) -> ModelVersion:
        """Set a model version's description (None clears it) and return the version. Raises
        ``NotFound`` if there is no such model or version. ``user`` is who the registry's history
        records (the process's login by default).
        """
        return self._registry.update_model_version(
            rv.validate_model_name(name),
            rv.validate_version(version),
            rv.validate_text(description, "description"),
            user=_user(user),
        )

    def delete_model_version(
        self, name: str, version: int | str, *, user: str | None = None
    ) -> None:
        """Delete a version with its tags and aliases; its number is never reused."""
        self._registry.delete_model_version(
            rv.validate_model_name(name),
            rv.validate_version(version),
            user=_user(user),
        )

    def set_model_version_tag(
        self,
        name: str,
        version: int | str | None = None,
        key: str | None = None,
        value: object = None,
        stage: str | None = None,
        *,
        user: str | None = None,
    ) -> None:
        """Tag a version, named by number or (as MLflow allows) by ``stage``: the newest
        version in that stage."""
        number = self._version_or_stage(name, version, stage)
        key, value = v.validate_tags({key: value}).popitem()
        self._registry.set_model_version_tag(
            rv.validate_model_name(name), number, key, value, user=_user(user)
        )

    def delete_model_version_tag(
        self,
        name: str,
        version: int | str | None = None,
        key: str | None = None,
        stage: str | None = None,
        *,
        user: str | None = None,
    ) -> None:
        """Remove a tag from a model version, named by number or (as MLflow allows) by ``stage``:
        the newest version in that stage. Raises ``NotFound`` if the version or tag does not exist,
        ``InvalidParameter`` if neither version nor stage is given. ``user`` is who the registry's
        history records (the process's login by default).
        """
        number = self._version_or_stage(name, version, stage)
        self._registry.delete_model_version_tag(
            rv.validate_model_name(name),
            number,
            v.validate_key(key, "tag"),
            user=_user(user),
        )

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (every stage when None) that has one.

        >>> Client().get_latest_versions("iris", stages=["Production"])  # doctest: +SKIP
        """
        return self._registry.get_latest_versions(
            rv.validate_model_name(name), rv.validate_stages(stages)
        )

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """Where a version's files are: for a ``runs:/<run_id>/<path>`` source, that path inside
        the run's artifact root (a local folder, or a URI such as ``s3://bucket/.../model``);
        otherwise the source itself (a local source as a path)."""
        source = self.get_model_version(name, version).source
        if is_runs_uri(source):
            run_id, path = parse_runs_uri(source, path_required=False)
            return self._run_artifacts(run_id).uri_of(path or None)
        if source.startswith("file://") or "://" not in source:
            return str(Path(source.removeprefix("file://")).expanduser())
        return source  # another scheme: as registered

    # -- stages and aliases ---------------------------------------------------------------

    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
        comment: str | None = None,
        *,
        user: str | None = None,
    ) -> ModelVersion:
        """Move a version to a stage (None, Staging, Production, Archived; any case). With
        ``archive_existing_versions``, the other versions in that stage (Staging or
        Production only) are archived; otherwise they stay where they are.

        >>> Client().transition_model_version_stage("iris", 3, "production",
        ...     archive_existing_versions=True, comment="beats v2 on holdout")  # doctest: +SKIP
        """
        stage = ModelVersionStage.canonical(stage)
        if archive_existing_versions and stage not in ModelVersionStage.ACTIVE:
            raise InvalidParameter(
                f"archive_existing_versions only applies to {' and '.join(ModelVersionStage.ACTIVE)}, "
                f"not to {stage}"
            )
        return self._registry.transition_model_version_stage(
            rv.validate_model_name(name),
            rv.validate_version(version),
            stage,
            bool(archive_existing_versions),
            user=_user(user),
            comment=rv.validate_text(comment, "comment"),
        )

    def set_registered_model_alias(
        self,
        name: str,
        alias: str,
        version: int | str,
        comment: str | None = None,
        *,
        user: str | None = None,
    ) -> None:
        """Point ``alias`` at ``version`` (moving it if it pointed at another version), so that
        ``models:/name@alias`` loads it."""
        self._registry.set_registered_model_alias(
            rv.validate_model_name(name),
            rv.validate_alias(alias),
            rv.validate_version(version),
            user=_user(user),
            comment=rv.validate_text(comment, "comment"),
        )

    def delete_registered_model_alias(
        self, name: str, alias: str, comment: str | None = None, *, user: str | None = None
    ) -> None:
        """Remove an alias from a registered model (the version itself stays). ``comment`` is kept
        in the registry's history. Raises ``NotFound`` if the model has no such alias. ``user`` is
        who the registry's history records (the process's login by default).
        """
        self._registry.delete_registered_model_alias(
            rv.validate_model_name(name),
            rv.validate_alias(alias),
            user=_user(user),
            comment=rv.validate_text(comment, "comment"),
        )

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The ``ModelVersion`` an alias points at. Raises ``NotFound`` if the model or the alias
        does not exist.

        >>> Client().get_model_version_by_alias("iris-svm", "champion").version  # doctest: +SKIP
        3
        """
        return self._registry.get_model_version_by_alias(
            rv.validate_model_name(name), rv.validate_alias(alias)
        )

    # -- history (labtrack's own) ---------------------------------------------------------

    def get_registry_history(
        self, name: str, version: int | str | None = None
    ) -> list[RegistryEvent]:
        """Every change to a model (or to one of its versions), newest first: what, from and
        to which value, who, when, and the comment given.

        >>> [(e.action, e.from_value, e.to_value) for e in Client().get_registry_history("iris", 3)]
        ...  # doctest: +SKIP
        [('transition_stage', 'Staging', 'Production'), ('create_version', None, 'runs:/.../model')]
        """
        number = None if version is None else rv.validate_version(version)
        return self._registry.get_registry_history(rv.validate_model_name(name), number)

    def _version_or_stage(self, name: str, version: int | str | None, stage: str | None) -> int:
        if version is not None:
            return rv.validate_version(version)
        if stage is None:
            raise InvalidParameter("give the model version (or a stage)")
        latest = self.get_latest_versions(name, [stage])
        if not latest:
            raise NotFound(f"registered model {name!r} has no version in stage {stage!r}")
        return latest[0].version


def _no_deployment_job(deployment_job_id: object) -> None:
    if deployment_job_id is not None:
        raise InvalidParameter(
            "deployment_job_id (Databricks deployment jobs) is not something labtrack's "
            "registry has"
        )


def _model_id(model_id: object) -> str | None:
    """A logged model's id as MLflow writes it (``m-`` and 32 hex digits), or None."""
    if model_id is None or model_id == "":
        return None
    if not isinstance(model_id, str) or not MODEL_ID.fullmatch(model_id):
        raise InvalidParameter(f"invalid logged model id {model_id!r}: expected m-<32 hex digits>")
    return model_id


def _user(user: str | None) -> str:
    """Who a change is recorded as: ``user`` when the caller knows (the Jupyter server passes
    the signed-in user), else whoever runs this process."""
    if user is None:
        return current_user()
    if not isinstance(user, str):
        raise InvalidParameter(f"user must be a string, got {type(user).__name__}")
    return user


def _max_results(max_results: object) -> int:
    """A positive page size: registry searches always have one (None is refused too)."""
    if max_results is None:
        raise InvalidParameter("max_results must be a positive integer, got None")
    return v.validate_max_results(max_results)
