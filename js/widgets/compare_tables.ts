// lt.compare()'s tables: params side by side (differences marked), metrics (best marked).

import { runSwatch } from "../shared/colors";
import { h } from "../shared/dom";
import { formatNumber, formatParam } from "../shared/format";
import type { CompareState } from "../shared/types";
import { statusBadge } from "./table/cells";

function headerRow(state: CompareState): HTMLTableRowElement {
  return h("tr", {}, [
    h("th", { text: "" }),
    ...state.runs.map((run) =>
      h("th", { title: run.run_id }, [
        runSwatch(run.run_id),
        h("span", { class: "lt-run-name", text: run.run_name || run.run_id }),
        " ",
        statusBadge(run.status),
      ]),
    ),
  ]);
}

export function paramsTable(state: CompareState, onlyDiffering: boolean): HTMLTableElement {
  const rows = state.params
    .filter((p) => p.differs || !onlyDiffering)
    .map((p) =>
      h("tr", { class: p.differs ? "lt-differs" : "" }, [
        h("th", { text: p.key, attrs: { scope: "row" }, title: p.differs ? "differs between the runs" : "" }),
        ...p.values.map((v) =>
          h("td", { text: formatParam(v), title: v ?? "", class: v === null ? "lt-missing" : "" }),
        ),
      ]),
    );
  return h("table", { class: "lt-compare-table" }, [h("thead", {}, [headerRow(state)]), h("tbody", {}, rows)]);
}

export function metricsTable(state: CompareState): HTMLTableElement {
  const rows = state.metrics.map((m) =>
    h("tr", { class: m.key === state.metric ? "lt-current" : "" }, [
      h("th", { text: m.key, attrs: { scope: "row" } }),
      ...m.values.map((v, i) =>
        h("td", {
          text: formatNumber(v),
          class: ["lt-num", i === m.best ? "lt-best" : "", v === null ? "lt-missing" : ""].join(" ").trim(),
          title: i === m.best ? "best" : v === null ? "" : String(v),
        }),
      ),
    ]),
  );
  return h("table", { class: "lt-compare-table" }, [h("thead", {}, [headerRow(state)]), h("tbody", {}, rows)]);
}
