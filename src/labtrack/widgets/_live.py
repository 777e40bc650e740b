"""Keeping a widget current while runs log: a daemon thread that polls cheaply.

A training loop keeps the kernel's main thread busy, so updates must come from another
thread (ipykernel sends comm messages from any thread). The poller holds only a weak
reference, so a widget nobody holds any more is not kept alive by it.
"""

from __future__ import annotations

import threading
import weakref

LIVE_INTERVAL = 0.5  # seconds between polls while a shown run is running: <= 2 redraws/s
IDLE_INTERVAL = 3.0  # otherwise: just enough to notice runs other processes start


class Poller:
    def __init__(self, widget, name: str = "labtrack-widget-poller"):
        self._widget = weakref.ref(widget)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            widget = self._widget()
            if widget is None:
                return
            interval = LIVE_INTERVAL if widget.live else IDLE_INTERVAL
            try:
                widget.poll()
            except Exception as error:  # shown in the widget, never a thread traceback
                widget.empty_message = f"labtrack stopped updating this chart: {error}"
                return
            del widget
            self._stop.wait(interval)
