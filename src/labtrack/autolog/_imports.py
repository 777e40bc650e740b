"""Run a callback once a module has been imported: now if it already is, else right after.

``lt.autolog()`` enables every installed integration, but importing Keras, torch or
Lightning just to patch them would cost the user seconds for frameworks the notebook may
never touch. So a patch waits for the user's own ``import keras`` (MLflow does the same with
post-import hooks). A finder at the front of ``sys.meta_path`` lets the other finders find
the module and wraps its loader so that the callbacks run when the module has executed.
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
from collections.abc import Callable

# module name -> {key: callback}; the key (a flavor name) lets ``cancel`` find its callbacks.
_pending: dict[str, dict[str, Callable[[], None]]] = {}
_lock = threading.RLock()


def when_imported(module: str, key: str, callback: Callable[[], None]) -> None:
    """Call ``callback()`` once ``module`` is imported (at once if it already is).

    The callback runs inside the user's ``import`` statement, so it must not raise
    (``_common`` hands in callbacks that turn their errors into warnings).
    """
    if module in sys.modules:
        callback()
        return
    with _lock:
        _pending.setdefault(module, {})[key] = callback
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)


def cancel(key: str) -> None:
    """Forget the callbacks registered under ``key`` that have not run yet."""
    with _lock:
        for module in list(_pending):
            _pending[module].pop(key, None)
            if not _pending[module]:
                del _pending[module]
        _uninstall_if_idle()


def _uninstall_if_idle() -> None:
    if not _pending and _finder in sys.meta_path:
        sys.meta_path.remove(_finder)


def _run_callbacks(module: str) -> None:
    with _lock:
        callbacks = _pending.pop(module, {})
        _uninstall_if_idle()
    for callback in callbacks.values():
        callback()


class _NotifyingLoader:
    """Delegates to the real loader; after ``exec_module`` succeeds, runs the callbacks."""

    def __init__(self, loader, name: str):
        self._loader = loader
        self._name = name

    def __getattr__(self, attribute):
        return getattr(self._loader, attribute)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        # The module keeps its real loader: importlib.resources and friends look at it.
        module.__loader__ = self._loader
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        _run_callbacks(self._name)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self._busy = threading.local()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _pending or getattr(self._busy, "name", None) == fullname:
            return None
        self._busy.name = fullname  # the other finders must not come back here
        try:
            for finder in sys.meta_path:
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self._busy.name = None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _NotifyingLoader(spec.loader, fullname)
        return spec


_finder = _Finder()
