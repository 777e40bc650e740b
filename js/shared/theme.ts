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

const LIGHT = {
  text: "#212121",
  muted: "#616161",
  background: "#ffffff",
  grid: "#e0e0e0",
  border: "#bdbdbd",
  accent: "#1976d2",
};
const DARK = {
  text: "#e0e0e0",
  muted: "#aaaaaa",
  background: "#111111",
  grid: "#424242",
  border: "#616161",
  accent: "#42a5f5",
};

// Plotly's default colorway: readable on both backgrounds.
export const COLORWAY = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

export function isDark(): boolean {
  const body = document.body;
  if (!body) return false;
  const light = body.dataset.jpThemeLight;
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
    hoverlabel: {
      bgcolor: theme.background,
      bordercolor: theme.border,
      font: { color: theme.text, family: theme.font },
    },
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

// Plotly's Viridis. Its dark-purple low end all but vanishes on a dark background (contrast
// about 1.3:1 on #111), so the dark theme uses its upper part, from the blue at 0.38 on
// (still perceptually uniform; each colour at least 3:1 against JupyterLab Dark's background).
const VIRIDIS: [number, string][] = [
  [0, "#440154"],
  [0.0627, "#48186a"],
  [0.1255, "#472d7b"],
  [0.1882, "#424086"],
  [0.251, "#3b528b"],
  [0.3137, "#33638d"],
  [0.3765, "#2c728e"],
  [0.4392, "#26828e"],
  [0.502, "#21918c"],
  [0.5647, "#1fa088"],
  [0.6275, "#28ae80"],
  [0.6902, "#3fbc73"],
  [0.7529, "#5ec962"],
  [0.8157, "#84d44b"],
  [0.8784, "#addc30"],
  [0.9412, "#d8e219"],
  [1, "#fde725"],
];
const DARK_FROM = 0.3765;
const VIRIDIS_ON_DARK: [number, string][] = VIRIDIS.filter(([v]) => v >= DARK_FROM).map(([v, c]) => [
  Number(((v - DARK_FROM) / (1 - DARK_FROM)).toFixed(4)),
  c,
]);

/** The colour scale for numeric colours (scatter, parallel coordinates): readable in the theme. */
export function sequentialScale(theme: Theme): string | [number, string][] {
  return theme.dark ? VIRIDIS_ON_DARK : "Viridis";
}

/** A halo in the background colour around text drawn over data lines (Plotly's `font.shadow`). */
export function textHalo(theme: Theme): string {
  const c = theme.background;
  return `1px 1px 1px ${c}, -1px -1px 1px ${c}, 1px -1px 1px ${c}, -1px 1px 1px ${c}`;
}
