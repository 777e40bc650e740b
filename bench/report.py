"""Turn the workers' results into figures at target size, ratios, target checks and a table."""

from __future__ import annotations

from dataclasses import dataclass

from common import SCALE_UNIT, SIZES

SYSTEM_LABELS = {
    "raw": "floor (sqlite3)",
    "labtrack": "labtrack",
    "mlflow": "mlflow",
    "trackio": "trackio",
}


@dataclass(frozen=True)
class Row:
    workload: str
    figure: str
    label: str  # formatted with the workload's target size
    unit: str  # "us", "s", "ms" (from seconds) or "MB" (from bytes)
    scales: bool = True  # grows with the workload's size: fewer units measured are scaled up
    fixed_part: str | None = None  # a figure holding the part that does not grow (not scaled)
    ratios: bool = True  # whether the ratio columns mean anything for this figure


ROWS = (
    Row("hot_loop", "caller_us_per_point", "hot loop: caller cost per point", "us", scales=False),
    Row("hot_loop", "persisted_s", "hot loop: {points:,} points persisted", "s"),
    Row("hot_loop", "flush_s", "  of which flush after the loop", "s", ratios=False),
    Row("many_runs", "total_s", "many runs: {runs:,} runs, wall time", "s"),
    Row(
        "many_runs",
        "store_bytes",
        "many runs: store size on disk",
        "MB",
        fixed_part="empty_store_bytes",
    ),
    Row("search", "query_s", "search_runs: {runs:,} runs -> DataFrame", "s"),
    Row(
        "search",
        "first_call_overhead_s",
        "  first call in a process: extra",
        "s",
        scales=False,
        ratios=False,
    ),
    Row("history", "read_s", "get_metric_history: {points:,} points", "s"),
    Row(
        "import",
        "import_s",
        "import: python -c 'import x' - 'pass'",
        "ms",
        scales=False,
        ratios=False,
    ),  # the difference of two process start-ups: too noisy for a ratio
    Row("import", "import_inside_s", "  the import timed inside python", "ms", scales=False),
)


def target_size(mode: str, workload: str) -> dict:
    size = dict(SIZES[mode][workload]["target"])
    if workload == "hot_loop":
        size["points"] = size["keys"] * size["steps"]
    return size


def scale_factor(mode: str, result: dict) -> float:
    """How much bigger the target is than what the worker measured (1.0 if the same)."""
    unit = SCALE_UNIT.get(result["workload"])
    if unit is None:
        return 1.0
    return SIZES[mode][result["workload"]]["target"][unit] / result["size"][unit]


def build(mode: str, results: list[dict]) -> dict:
    """{"rows": [...], "notes": [...], "targets": [...]} from the workers' results."""
    by_key = {(r["system"], r["workload"]): r for r in results if "error" not in r}
    rows, notes = [], []
    for row in ROWS:
        values, scaled = {}, {}
        for (system, workload), result in by_key.items():
            figure = result["figures"].get(row.figure) if workload == row.workload else None
            if figure is None:
                continue
            factor = scale_factor(mode, result) if row.scales else 1.0
            fixed = result["figures"][row.fixed_part]["median"] if row.fixed_part else 0.0
            values[system] = fixed + (figure["median"] - fixed) * factor
            if factor != 1.0:
                scaled[system] = factor
        rows.append(
            {
                "workload": row.workload,
                "figure": row.figure,
                "label": row.label.format(**target_size(mode, row.workload)),
                "unit": row.unit,
                "values": values,
                "scaled": scaled,
                "labtrack/floor": ratio(values, "labtrack", "raw") if row.ratios else None,
                "mlflow/labtrack": ratio(values, "mlflow", "labtrack") if row.ratios else None,
                "trackio/labtrack": ratio(values, "trackio", "labtrack") if row.ratios else None,
            }
        )
    for (system, workload), result in sorted(by_key.items()):
        factor = scale_factor(mode, result)
        if factor != 1.0:
            unit = SCALE_UNIT[workload]
            notes.append(
                f"* {system} {workload}: measured {result['size'][unit]:,} {unit} "
                f"(target {SIZES[mode][workload]['target'][unit]:,}), size-dependent figures "
                f"scaled linearly x{factor:,.4g}"
            )
    return {"rows": rows, "notes": notes, "targets": check_targets(mode, rows, by_key)}


def ratio(values: dict, numerator: str, denominator: str) -> float | None:
    if numerator in values and values.get(denominator, 0) > 0:  # noise can make a cost <= 0
        return values[numerator] / values[denominator]
    return None


def check_targets(mode: str, rows: list[dict], by_key: dict) -> list[dict]:
    """The issue's targets, each with the measured figure and PASS / FAIL / n/a."""
    find = {(r["workload"], r["figure"]): r for r in rows}
    caller = find[("hot_loop", "caller_us_per_point")]
    persisted = find[("hot_loop", "persisted_s")]
    many_runs = find[("many_runs", "total_s")]
    search_row = find[("search", "query_s")]
    search = search_row["values"].get("labtrack")
    runs = target_size(mode, "search")["runs"]
    per_10k = None if search is None else search * 10_000 / runs
    imports = by_key.get(("labtrack", "import"), {})
    targets = [
        target(
            "per-point caller cost >= 100x below MLflow's",
            caller["mlflow/labtrack"],
            lambda x: x >= 100,
            "{:,.0f}x",
        ),
        target(
            "persisted throughput within 2x of the raw floor",
            persisted["labtrack/floor"],
            lambda x: x <= 2,
            "{:.1f}x",
        ),
        target(
            "search_runs over 10,000 runs well under 1 s"
            + ("" if runs == 10_000 else f" (scaled from {runs:,} runs)"),
            per_10k,
            lambda x: x < 1.0,
            "{:.3f} s",
        ),
        target(
            "many short runs within 2x of the raw floor",
            many_runs["labtrack/floor"],
            lambda x: x < 2,
            "{:.2f}x",
        ),
        target(
            f"search_runs over {runs:,} runs within 1.5x of the raw floor"
            + ("" if runs == 500 else " (the issue's size: --search-runs 500)"),
            search_row["labtrack/floor"],
            lambda x: x <= 1.5,
            "{:.2f}x",
        ),
    ]
    if "modules_after_import" in imports:
        lazy = [
            m for m in ("pandas", "sqlalchemy", "plotly") if m in imports["modules_after_import"]
        ]
        targets.append(
            {
                "target": "`import labtrack` loads no pandas, sqlalchemy, plotly",
                "measured": ", ".join(imports["modules_after_import"]) or "none of them",
                "status": "FAIL" if lazy else "PASS",
            }
        )
    return targets


def target(name: str, value: float | None, ok, fmt: str) -> dict:
    if value is None:
        return {"target": name, "measured": None, "status": "n/a"}
    return {
        "target": name,
        "measured": fmt.format(value),
        "status": "PASS" if ok(value) else "FAIL",
    }


# -- text -------------------------------------------------------------------------------


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "us":
        return f"{value:,.1f} us" if value < 1000 else f"{value / 1000:,.2f} ms"
    if unit == "ms":
        return f"{value * 1000:,.0f} ms"
    if unit == "MB":
        return f"{value / 1e6:,.1f} MB"
    return f"{value:,.3f} s" if value < 100 else f"{value:,.0f} s"


def format_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.2f}x" if value < 10 else f"{value:,.0f}x"


RATIOS = (
    ("labtrack/floor", ("labtrack", "raw")),
    ("mlflow/labtrack", ("mlflow", "labtrack")),
    ("trackio/labtrack", ("trackio", "labtrack")),
)


def format_table(report: dict, systems: list[str]) -> str:
    ratios = [name for name, pair in RATIOS if set(pair) <= set(systems)]
    headers = ["figure (median)", *(SYSTEM_LABELS[s] for s in systems), *ratios]
    lines = []
    for row in report["rows"]:
        if not row["values"]:
            continue
        cells = [row["label"]]
        for system in systems:
            text = format_value(row["values"].get(system), row["unit"])
            cells.append(text + ("*" if system in row["scaled"] else ""))
        cells += [format_ratio(row[name]) for name in ratios]
        lines.append(cells)
    widths = [max(len(line[i]) for line in [headers, *lines]) for i in range(len(headers))]

    def render(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [render(headers), "  ".join("-" * w for w in widths), *map(render, lines)]
    if report["notes"]:
        out += ["", *report["notes"]]
    out += ["", "targets:"]
    for t in report["targets"]:
        out.append(f"  [{t['status']:>4}] {t['target']}: {t['measured'] or 'not measured'}")
    return "\n".join(out)
