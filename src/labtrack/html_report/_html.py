"""The report page: the payload as JSON in a data block, the bundle and stylesheet inlined once."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from labtrack.errors import LabtrackError

STATIC = Path(__file__).resolve().parent.parent / "widgets" / "static"
DATA_ID = "labtrack-report-data"
# No network at all, even if some library tried: everything the page needs is inline.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:"
)
# In a <script> block only "</script" (any case), "<!--" and U+2028/9 matter; escaping every
# "<", ">" and "&" as JSON \u escapes covers them and JSON.parse reads them back unchanged.
_JSON_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_json(payload: Any) -> str:
    """``payload`` as JSON that no user string can close its ``<script>`` element with."""
    return json.dumps(payload, allow_nan=False, separators=(",", ":")).translate(_JSON_ESCAPES)


def _asset(name: str) -> str:
    path = STATIC / name
    if not path.is_file():
        raise LabtrackError(
            f"labtrack's report bundle {name} is missing: reinstall labtrack "
            "(pip install labtrack), or run `npm ci && npm run build` in a source checkout"
        )
    return path.read_text(encoding="utf-8")


def page(payload: dict[str, Any]) -> str:
    """The whole self-contained HTML document."""
    script = _asset("report.js")
    # The bundle is inlined in a classic <script>: "</script" inside one of its strings would
    # end the element early ("<\/" is the same string to JavaScript).
    script = script.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")
    style = _asset("report.css").replace("</style", "<\\/style")
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="labtrack">\n'
        f"<title>{html.escape(payload['title'])}</title>\n"
        f"<style>{style}</style>\n</head>\n<body>\n"
        '<div id="labtrack-report"><noscript>This report needs JavaScript.</noscript></div>\n'
        f'<script type="application/json" id="{DATA_ID}">{script_json(payload)}</script>\n'
        f"<script>{script}</script>\n</body>\n</html>\n"
    )
