"""What every labtrack widget shares: its bundle, selection, and a readable fallback."""

from __future__ import annotations

import functools
import html
from pathlib import Path
from typing import ClassVar

import anywidget
import traitlets as t
from ipywidgets import widget_serialization

from labtrack.errors import LabtrackError
from labtrack.widgets._plotly import PlotlyProvider, provider, uses_plotly

STATIC = Path(__file__).parent / "static"


def _opens_when_built(init):
    """``init``, after which the widget's comm opens: the outermost constructor's end (a
    subclass's constructor calls its base's; the comm waits for the whole chain)."""

    @functools.wraps(init)
    def build(self, *args, **kwargs) -> None:
        if self.__dict__.get("_building"):  # called by a subclass's constructor
            init(self, *args, **kwargs)
            return
        self.__dict__["_building"] = True
        try:
            init(self, *args, **kwargs)
        finally:
            self.__dict__["_building"] = False
        self.open()  # not after a failure: no comm, no half-built widget in the front end

    return build


class RunsWidget(anywidget.AnyWidget):
    """Base of the widgets that show runs. ``selected`` (run ids) is synced both ways, so
    ``traitlets.link`` joins widgets: selecting in one selects in the others."""

    selected = t.List(t.Unicode()).tag(sync=True)
    empty_message = t.Unicode("").tag(sync=True)
    # The kernel's PlotlyProvider, for widgets whose front end draws with Plotly (their modules
    # leave it out: see labtrack.widgets._plotly); None for the others.
    _plotly = t.Instance(PlotlyProvider, allow_none=True).tag(sync=True, **widget_serialization)

    #: The TypedDict in ``labtrack.widgets.contract`` that the synced state follows.
    state_type: ClassVar[type]

    _bundle_name = ""  # the front end: static/<name>.js and static/<name>.css

    def __init_subclass__(cls, **kwargs):
        # Set before anywidget's own hook, which reads these files into the widget's module.
        if cls.__dict__.get("_bundle_name"):
            cls._esm = STATIC / f"{cls._bundle_name}.js"
            cls._css = STATIC / f"{cls._bundle_name}.css"
        if "__init__" in cls.__dict__:
            cls.__init__ = _opens_when_built(cls.__dict__["__init__"])
        super().__init_subclass__(**kwargs)

    def open(self) -> None:
        """Open the comm to the front end, once the constructor has filled the state in.

        ipywidgets opens it in ``Widget.__init__``, before a subclass has read its runs; the
        state would then come as updates. anywidget drops every message to a model whose
        module took over 2 s to load (a busy page), so a widget must open with its state whole.
        """
        if not self.__dict__.get("_building"):
            super().open()

    @_opens_when_built
    def __init__(self, **kwargs):
        if isinstance(type(self)._esm, Path):  # anywidget found no file to read
            raise LabtrackError(
                f"labtrack's widget bundle {type(self)._esm.name} is missing: reinstall labtrack "
                "(pip install labtrack), or run `npm ci && npm run build` in a source checkout"
            )
        if uses_plotly(self._bundle_name):
            kwargs.setdefault("_plotly", provider())
        super().__init__(**kwargs)

    def fallback_table(self) -> tuple[list[str], list[list], str] | None:
        """The header, rows and caption of the static views' table; None for none (they then
        show the widget's name). Not asked while there is an ``empty_message``."""
        return None

    def fallback_html(self) -> str:
        """A static view for where no widget manager runs (nbconvert, GitHub); escaped."""
        table = None if self.empty_message else self.fallback_table()
        if table is None:
            return f"<p>{html.escape(self.empty_message or type(self).__name__)}</p>"
        return html_table(*table)

    def fallback_text(self) -> str:
        """The plain-text view: the empty message, or the table's header and rows."""
        table = None if self.empty_message else self.fallback_table()
        if table is None:
            return self.empty_message or type(self).__name__
        header, rows, _caption = table
        return text_table(header, rows)

    def _repr_mimebundle_(self, **kwargs):
        bundle_data = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle_data if isinstance(bundle_data, tuple) else (bundle_data, {})
        data = dict(data or {})
        data["text/plain"] = self.fallback_text()
        data["text/html"] = self.fallback_html()
        return data, metadata


def html_table(header: list[str], rows: list[list[object]], caption: str = "") -> str:
    """An HTML table with every cell escaped: run names and params are user strings."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row)
        + "</tr>"
        for row in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table class='labtrack-fallback'>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def text_table(header: list[str], rows: list[list[object]]) -> str:
    cells = [[str(h) for h in header]] + [
        ["" if v is None else str(v) for v in row] for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=False)).rstrip()
        for row in cells
    )
