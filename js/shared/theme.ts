// JupyterLab's light/dark theme for Plotly (the CSS follows the --jp-* variables by itself).

export interface Theme {
  dark: boolean;
  font: string;
  fontSize: number;
  text: string;
  muted: string;
  background: string;
  grid: string;
  border: string;
  accent: string;
}

const LIGHT = { text: "#212121", muted: "#616161", background: "#ffffff", grid: "#e0e0e0", border: "#bdbdbd", accent: "#1976d2" };
const DARK = { text: "#e0e0e0", muted: "#aaaaaa", background: "#111111", grid: "#424242", border: "#616161", accent: "#42a5f5" };

// Plotly's default colorway: readable on both backgrounds.
export const COLORWAY = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

export function isDark(): boolean {
  const body = document.body;
  if (!body) return false;
  const light = body.dataset["jpThemeLight"];
  if (light !== undefined) return light === "false";
  if (body.classList.contains("vscode-dark") || body.classList.contains("vscode-high-contrast")) return true;
  return false;
}

function cssVar(el: Element, name: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim();
}

/** Colours from the --jp-* variables in scope at `el`, with fallbacks outside JupyterLab. */
export function readTheme(el: Element = document.body): Theme {
  const dark = isDark();
  const base = dark ? DARK : LIGHT;
  const pick = (name: string, fallback: string) => cssVar(el, name) || fallback;
  return {
    dark,
    font: pick("--jp-ui-font-family", "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"),
    fontSize: 12,
    text: pick("--jp-ui-font-color1", base.text),
    muted: pick("--jp-ui-font-color2", base.muted),
    background: pick("--jp-layout-color1", base.background),
    grid: pick("--jp-border-color2", base.grid),
    border: pick("--jp-border-color1", base.border),
    accent: pick("--jp-brand-color1", base.accent),
  };
}

/** Call `callback` when JupyterLab switches theme; returns the function that stops it. */
export function watchTheme(callback: () => void): () => void {
  if (typeof MutationObserver === "undefined" || !document.body) return () => {};
  const observer = new MutationObserver(() => callback());
  observer.observe(document.body, {
    attributes: true,
    attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class"],
  });
  return () => observer.disconnect();
}

/** Layout fields every figure shares: transparent paper so the output area shows through. */
export function themeLayout(theme: Theme): Record<string, unknown> {
  return {
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: theme.font, size: theme.fontSize, color: theme.text },
    colorway: COLORWAY,
    hoverlabel: { bgcolor: theme.background, bordercolor: theme.border, font: { color: theme.text, family: theme.font } },
    legend: { font: { color: theme.text }, bgcolor: "rgba(0,0,0,0)" },
    modebar: { bgcolor: "rgba(0,0,0,0)", color: theme.muted, activecolor: theme.accent },
  };
}

/** Axis colours; merged into every x/y axis of a figure. */
export function themeAxis(theme: Theme): Record<string, unknown> {
  return {
    gridcolor: theme.grid,
    linecolor: theme.border,
    zerolinecolor: theme.border,
    tickcolor: theme.border,
    tickfont: { color: theme.muted },
    title: { font: { color: theme.text } },
  };
}
