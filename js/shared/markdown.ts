// Run notes (`mlflow.note.content`) as Markdown: parsed by marked, then sanitized by DOMPurify,
// because a note is user text that other people's browsers render (the table, the comparison,
// the sidebar, a shared report). Only what DOMPurify lets through reaches the page; links open
// in a new tab without access to this one.

import createDOMPurify, { type Config, type DOMPurify } from "dompurify";
import { Marked } from "marked";

const parser = new Marked({ gfm: true, breaks: true, async: false });

const CONFIG: Config = {
  USE_PROFILES: { html: true }, // no SVG or MathML: their namespaces are where bypasses live
  // Forms could phish inside the notebook; style (tag or attribute) could cover the page.
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "option", "iframe"],
  FORBID_ATTR: ["style"],
};

let purifier: DOMPurify | null = null;

/** Our own DOMPurify instance (created on first use, when `window` exists): its link hook
 * must not change how other code on the page that uses DOMPurify sanitizes. */
function sanitizer(): DOMPurify {
  if (purifier) return purifier;
  const instance = createDOMPurify(window);
  instance.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A" && node.hasAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
  });
  purifier = instance;
  return instance;
}

/** `text` as sanitized HTML ("" for a blank note). */
export function renderMarkdown(text: string): string {
  const box = document.createElement("div");
  box.append(sanitizedFragment(text));
  return box.innerHTML;
}

/** The note parsed and sanitized. Images come only from inside the note (`data:` URLs): one
 * fetched from elsewhere would tell its server who opened the run, and when; such an image
 * shows as its alt text. */
function sanitizedFragment(text: string): DocumentFragment {
  if (!text.trim()) return document.createDocumentFragment();
  const html = parser.parse(text) as string;
  const fragment = sanitizer().sanitize(html, { ...CONFIG, RETURN_DOM_FRAGMENT: true });
  for (const image of fragment.querySelectorAll("img")) {
    image.removeAttribute("srcset");
    if (!/^data:image\/(png|jpeg|gif|webp);base64,/.test(image.getAttribute("src") ?? "")) {
      const alt = image.getAttribute("alt");
      image.replaceWith(alt ? `[${alt}]` : "");
    }
  }
  return fragment;
}

/** An element holding `text` rendered and sanitized (no innerHTML of unsanitized text). */
export function markdownElement(text: string, className = "lt-markdown"): HTMLElement {
  const el = document.createElement("div");
  el.className = className;
  el.appendChild(sanitizedFragment(text));
  return el;
}
