"""What every autolog integration shares; the per-framework modules only map hooks to logging.

Four rules hold for every integration, and live here so that each is written once:

* **The run**: a patched call logs into the active run, or opens one and ends it when the
  call ends (FINISHED, or FAILED with the error recorded when the user's code raises).
* **Safety**: autologging never breaks the user's code. An error inside the logging becomes a
  ``LabtrackAutologWarning`` and training goes on; the user's own exceptions pass unchanged.
* **Patching**: ``autolog(disable=True)`` puts back exactly the attributes that were there.
* **Nesting**: only the outermost patched call logs (GridSearchCV fitting its candidates,
  Pipeline fitting its steps, a Keras fit inside a scikit-learn wrapper open no runs).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from labtrack.autolog import LabtrackAutologWarning, _imports
from labtrack.tracking import fluent

MAX_PARAM_LENGTH = 500  # a longer value (a whole nested estimator's repr) is cut to this


@dataclass
class AutologConfig:
    """One integration's settings, read at each patched call (a second ``autolog()`` call
    changes them without patching again)."""

    flavor: str
    log_models: bool = True
    log_input_examples: bool = False
    silent: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    # MLflow's: log nothing into runs the user started; tags for the runs autologging starts;
    # the registered model each logged model becomes a new version of.
    exclusive: bool = False
    extra_tags: dict[str, str] = field(default_factory=dict)
    registered_model_name: str | None = None


_configs: dict[str, AutologConfig] = {}
_MISSING = object()
# flavor -> {(owner, attribute name): what owner.__dict__ held before, or _MISSING}
_originals: dict[str, dict[tuple[Any, str], Any]] = {}


def get_config(flavor: str) -> AutologConfig | None:
    """The integration's settings, or None while it is disabled."""
    return _configs.get(flavor)


def configure(
    flavor: str,
    *,
    disable: bool,
    log_models: bool,
    log_input_examples: bool,
    silent: bool,
    patches: dict[str, Callable[[], None]],
    exclusive: bool = False,
    extra_tags: dict[str, Any] | None = None,
    registered_model_name: str | None = None,
    disable_for_unsupported_versions: bool = False,
    **options: Any,
) -> None:
    """The body of every ``autolog()``: store the settings, then patch each library when
    it is imported (at once if it already is); or, with ``disable``, undo all of that.

    ``patches`` maps a module name to the function that patches it. Raises
    ``InvalidParameter`` for ``extra_tags`` that are no valid tags. MLflow's
    ``disable_for_unsupported_versions`` is accepted and changes nothing: labtrack keeps no
    list of tested library versions, and patches whatever version is installed.
    """
    if disable:
        _imports.cancel(flavor)
        unpatch(flavor)
        _configs.pop(flavor, None)
        return
    from labtrack.tracking import validation

    _configs[flavor] = AutologConfig(
        flavor,
        log_models,
        log_input_examples,
        silent,
        options,
        exclusive=bool(exclusive),
        extra_tags=validation.validate_tags(extra_tags or {}),
        registered_model_name=registered_model_name,
    )
    for module, install in patches.items():
        # Runs inside the user's import statement: a failed patch must not fail the import.
        _imports.when_imported(
            module,
            flavor,
            functools.partial(
                safely, flavor, f"patch {module} (its calls will not be logged)", install
            ),
        )


# -- safety -------------------------------------------------------------------------------------


def safely(flavor: str, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, or None with a warning if it raises: logging is best effort."""
    try:
        return fn(*args, **kwargs)
    except Exception as error:
        config = _configs.get(flavor)
        if config is None or not config.silent:
            warnings.warn(
                f"labtrack {flavor} autolog could not {what}: {type(error).__name__}: {error}",
                LabtrackAutologWarning,
                stacklevel=2,
            )
        return None


# -- patching -----------------------------------------------------------------------------------


def patch(flavor: str, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
    """Replace ``owner.name`` with ``make(original)``; patching twice is a no-op."""
    patched = _originals.setdefault(flavor, {})
    if (owner, name) in patched:
        return
    original = getattr(owner, name)
    patched[(owner, name)] = owner.__dict__.get(name, _MISSING)
    setattr(owner, name, make(original))


def unpatch(flavor: str) -> None:
    """Restore what ``patch`` replaced: an inherited attribute is deleted again, an own one
    is set back to the very object that was there."""
    for (owner, name), original in reversed(list(_originals.pop(flavor, {}).items())):
        if original is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, original)


# Process-wide, not per thread: joblib's threading backend fits GridSearchCV's candidates in
# worker threads, and those fits are inner calls too. (Two unrelated fits running at once in
# two threads therefore log only the first.)
_depth = 0
_depth_lock = threading.Lock()


@contextlib.contextmanager
def outermost_call() -> Iterator[bool]:
    """Count a patched call in progress; yields whether it is the outermost one, the only
    one that logs (an estimator's ``predict`` inside another's ``fit`` logs nothing)."""
    global _depth
    with _depth_lock:
        outermost = _depth == 0
        _depth += 1
    try:
        yield outermost
    finally:
        with _depth_lock:
            _depth -= 1


@dataclass
class FitCall:
    """One patched call in progress, as the integration's hooks see it."""

    instance: Any
    args: tuple
    kwargs: dict
    original: Callable[..., Any]
    config: AutologConfig
    run_id: str
    state: dict[str, Any] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def arguments(self) -> dict[str, Any]:
        """The call's arguments by name, defaults included, ``**kwargs`` merged in."""
        signature = inspect.signature(self.original)
        bound = signature.bind_partial(self.instance, *self.args, **self.kwargs)
        bound.apply_defaults()
        merged: dict[str, Any] = {}
        for name, value in bound.arguments.items():
            if signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
                merged.update(value)
            else:
                merged[name] = value
        return merged

    def set_argument(self, name: str, value: Any) -> None:
        """Call the original with ``name=value`` instead, however the user passed it."""
        bound = inspect.signature(self.original).bind(self.instance, *self.args, **self.kwargs)
        bound.arguments[name] = value
        self.args, self.kwargs = bound.args[1:], bound.kwargs


def wrap_fit(
    flavor: str,
    before: Callable[[FitCall], None] | None = None,
    after: Callable[[FitCall, Any], None] | None = None,
) -> Callable[[Callable], Callable]:
    """A ``make`` for ``patch``: the original method, inside an autolog run, with ``before``
    (may change the arguments; undone if it fails) and ``after`` (given the result) hooks.

    >>> patch("keras", keras.Model, "fit", wrap_fit("keras", before, after))  # doctest: +SKIP
    """

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def patched(self, *args, **kwargs):
            config = _configs.get(flavor)
            if config is None:  # disabled, but someone kept a reference to the patched method
                return original(self, *args, **kwargs)
            with outermost_call() as outermost:
                if not outermost:
                    return original(self, *args, **kwargs)
                with autolog_run(flavor) as run_id:
                    if run_id is None:
                        return original(self, *args, **kwargs)
                    call = FitCall(self, args, kwargs, original, config, run_id)
                    if before and not safely(
                        flavor, "prepare logging", lambda: before(call) or True
                    ):
                        call.args, call.kwargs = args, kwargs
                    try:
                        result = original(self, *call.args, **call.kwargs)
                    finally:
                        for cleanup in call.cleanups:
                            safely(flavor, "clean up after logging", cleanup)
                    if after:
                        safely(flavor, "log the result of fit", after, call, result)
                    return result

        return patched

    return make


# -- runs and artifacts ---------------------------------------------------------------------------


@contextlib.contextmanager
def autolog_run(flavor: str, run_name: str | None = None) -> Iterator[str | None]:
    """The id of the run to log into: the active run (unless the integration is
    ``exclusive``), or one opened here with the ``extra_tags`` and ended with the block
    (FAILED, with the error recorded, if the block raises). None if there is none to log into.

    >>> with autolog_run("pytorch") as run_id:  # doctest: +SKIP
    ...     fluent.log_metric("loss", 0.5, run_id=run_id)
    """
    active = fluent.active_run()
    config = _configs.get(flavor)
    if active is not None:
        yield None if config is not None and config.exclusive else active.info.run_id
        return
    run = safely(
        flavor,
        "start a run",
        fluent.start_run,
        run_name=run_name,
        tags={"mlflow.autologging": flavor, **(config.extra_tags if config else {})},
    )
    if run is None:
        yield None
        return
    try:
        yield run.info.run_id
    except BaseException as error:
        # ActiveRun.__exit__ picks FAILED or KILLED and records the error; the error goes on.
        safely(flavor, "end the run", run.__exit__, type(error), error, error.__traceback__)
        raise
    else:
        safely(flavor, "end the run", run.__exit__, None, None, None)


def param_value(value: Any) -> str:
    """A param as text, cut to MAX_PARAM_LENGTH characters."""
    text = str(value)
    return text if len(text) <= MAX_PARAM_LENGTH else text[: MAX_PARAM_LENGTH - 3] + "..."


def log_input_example(run_id: str, data: Any, rows: int = 5) -> None:
    """The first ``rows`` rows of a DataFrame, array, sparse matrix or tensor, as
    ``input_example.json`` (MLflow's split layout: ``columns`` and ``data``)."""
    if hasattr(data, "iloc") and hasattr(data, "columns"):  # a pandas DataFrame
        head = data.iloc[:rows]
        example = {"columns": [str(c) for c in head.columns], "data": head.to_numpy().tolist()}
    else:
        head = data[:rows]
        if hasattr(head, "toarray"):  # scipy.sparse
            head = head.toarray()
        if hasattr(head, "detach"):  # a torch tensor
            head = head.detach().cpu().numpy()
        import numpy as np

        example = {"data": np.asarray(head).tolist()}
    fluent.log_dict(example, "input_example.json", run_id=run_id)
