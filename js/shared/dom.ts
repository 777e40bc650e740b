// DOM building without innerHTML: run names, params and tags are user strings, so text only
// ever goes in through textContent and attributes through setAttribute.

type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string | number | boolean | null | undefined>;
  style?: Partial<Record<string, string>>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  children: Child[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title) node.title = props.title;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const [name, value] of Object.entries(props.style ?? {})) {
    if (value !== undefined) node.style.setProperty(name, value);
  }
  append(node, children);
  return node;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** Replace every child of `parent`. */
export function replaceChildren(parent: Element, children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

/**
 * Plotly renders trace names, titles and labels from a small HTML-like markup (<b>, <br>,
 * <a href>): entity-escape user strings so "<b>x</b>" shows literally instead of bold.
 */
export function plotlyText(value: unknown): string {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/**
 * A widget's outer element. `data-lm-suppress-shortcuts` stops JupyterLab's command-mode
 * shortcuts (a, b, d d, arrows, space) from acting on keys typed into the widget; it resolves
 * shortcuts at the document before our handlers see the event, so stopPropagation can't.
 */
export function widgetRoot(kind: string, children: Child[]): HTMLDivElement {
  return h("div", { class: `lt-widget ${kind}`, attrs: { "data-lm-suppress-shortcuts": "true" } }, children);
}
