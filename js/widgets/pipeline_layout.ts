// Where lt.pipeline_view draws each step: a column per depth in the graph (a step sits one
// column right of the deepest step it needs), steps in pipeline order within a column.

export interface PipelineStep {
  name: string;
  needs: string[];
  when: string;
  status: string;
  run_id: string;
  reused_from: string;
  params: Record<string, string>;
  metrics: Record<string, number>;
  error: string;
}

export interface PipelineViewState {
  parent_run_id: string;
  name: string;
  status: string;
  steps: PipelineStep[];
  step: string;
  live: boolean;
  selected: string[];
  empty_message: string;
}

export interface Box {
  name: string;
  x: number;
  y: number;
}

export interface Edge {
  from: string;
  to: string;
  path: string; // SVG path data
}

export interface Layout {
  boxes: Box[];
  edges: Edge[];
  width: number;
  height: number;
}

export const NODE = { width: 168, height: 46, gapX: 56, gapY: 18, pad: 8 };

/** Each step's column: 0 for steps that need nothing, else one more than their deepest need. */
export function depths(steps: PipelineStep[]): Map<string, number> {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const depth = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a cycle cannot come from the kernel; never loop on one
    seen.add(name);
    const needs = (byName.get(name)?.needs ?? []).filter((n) => byName.has(n));
    const value = needs.length ? 1 + Math.max(...needs.map((n) => visit(n, seen))) : 0;
    depth.set(name, value);
    return value;
  };
  for (const step of steps) visit(step.name, new Set());
  return depth;
}

/** Boxes and edges (from a need's right side to the step's left side) in SVG units. */
export function layout(steps: PipelineStep[]): Layout {
  const depth = depths(steps);
  const rows = new Map<number, number>();
  const boxes: Box[] = [];
  for (const step of steps) {
    const column = depth.get(step.name) ?? 0;
    const row = rows.get(column) ?? 0;
    rows.set(column, row + 1);
    boxes.push({
      name: step.name,
      x: NODE.pad + column * (NODE.width + NODE.gapX),
      y: NODE.pad + row * (NODE.height + NODE.gapY),
    });
  }
  const at = new Map(boxes.map((b) => [b.name, b]));
  const edges: Edge[] = [];
  for (const step of steps) {
    const to = at.get(step.name);
    for (const need of step.needs) {
      const from = at.get(need);
      if (!from || !to) continue;
      const x1 = from.x + NODE.width;
      const y1 = from.y + NODE.height / 2;
      const x2 = to.x;
      const y2 = to.y + NODE.height / 2;
      const bend = (x2 - x1) / 2;
      edges.push({
        from: need,
        to: step.name,
        path: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
      });
    }
  }
  const columns = Math.max(0, ...[...depth.values()].map((d) => d + 1));
  const tallest = Math.max(0, ...rows.values());
  return {
    boxes,
    edges,
    width: NODE.pad * 2 + columns * NODE.width + Math.max(0, columns - 1) * NODE.gapX,
    height: NODE.pad * 2 + tallest * NODE.height + Math.max(0, tallest - 1) * NODE.gapY,
  };
}

/** The short label under a step's name. */
export function statusLabel(step: PipelineStep): string {
  const labels: Record<string, string> = {
    FINISHED: "finished",
    FAILED: "failed",
    KILLED: "killed",
    RUNNING: "running…",
    SKIPPED: "skipped",
    REUSED: "reused",
    PENDING: "pending",
    NOT_RUN: "not run",
  };
  return labels[step.status] ?? step.status.toLowerCase();
}
