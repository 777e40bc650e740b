// @vitest-environment jsdom
// jsdom, not happy-dom: happy-dom parses HTML loosely enough that DOMPurify keeps a <script> there.

import { describe, expect, it } from "vitest";

import { markdownElement, renderMarkdown } from "../shared/markdown";

function rendered(text: string): HTMLElement {
  return markdownElement(text);
}

describe("renderMarkdown", () => {
  it("renders Markdown: emphasis, lists, code, tables", () => {
    const el = rendered("**bold** and `code`\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |");
    expect(el.querySelector("strong")?.textContent).toBe("bold");
    expect(el.querySelector("code")?.textContent).toBe("code");
    expect(el.querySelectorAll("li")).toHaveLength(2);
    expect(el.querySelector("td")?.textContent).toBe("1");
    expect(el.classList.contains("lt-markdown")).toBe(true);
  });

  it("drops script tags and their content", () => {
    const html = renderMarkdown("before <script>window.pwned = 1</script> after");
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain("pwned");
    expect(rendered("<script>alert(1)</script>").querySelector("script")).toBeNull();
  });

  it("drops event-handler attributes", () => {
    for (const hostile of [
      '<img src="x" onerror="alert(1)">',
      '<a href="https://example.org" onclick="alert(1)">x</a>',
      '<div onmouseover="alert(1)">hover</div>',
      "<svg><g onload=alert(1)></g></svg>",
    ]) {
      const el = rendered(hostile);
      for (const node of el.querySelectorAll("*")) {
        for (const attribute of node.attributes) expect(attribute.name).not.toMatch(/^on/i);
      }
      expect(renderMarkdown(hostile)).not.toMatch(/\son\w+=/i);
    }
  });

  it("shows images from elsewhere as their alt text, and keeps inlined ones", () => {
    const el = rendered(
      '![chart](https://tracker.example/p.gif?u=1) <img src="x.png" srcset="https://a.example/y 2x" alt="y">',
    );
    expect(el.querySelector("img")).toBeNull();
    expect(el.textContent).toContain("[chart]");
    expect(el.textContent).toContain("[y]");
    const inline = "data:image/png;base64,iVBORw0KGgo=";
    const kept = rendered(`![dot](${inline})`).querySelector("img");
    expect(kept?.getAttribute("src")).toBe(inline);
  });

  it("drops javascript: and data:text/html links, in Markdown and in HTML", () => {
    for (const hostile of [
      "[click](javascript:alert(1))",
      "[click](JaVaScRiPt:alert(1))",
      '<a href="javascript:alert(1)">click</a>',
      '<a href="  javascript:alert(1)">click</a>',
      "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    ]) {
      const el = rendered(hostile);
      for (const link of el.querySelectorAll("a")) {
        const href = link.getAttribute("href") ?? "";
        expect(href.toLowerCase()).not.toMatch(/^\s*(javascript|data):/);
      }
    }
  });

  it("drops iframes, forms, styles and style attributes", () => {
    const el = rendered(
      '<iframe src="https://example.org"></iframe><form action="/x"><input name="a"></form>' +
        '<style>body{display:none}</style><p style="position:fixed">styled</p>',
    );
    expect(el.querySelector("iframe, form, input, style, [style]")).toBeNull();
    expect(el.textContent).toContain("styled");
  });

  it("opens links in a new tab with rel=noopener", () => {
    const link = rendered("see [the paper](https://arxiv.org/abs/1706.03762)").querySelector("a");
    expect(link?.getAttribute("href")).toBe("https://arxiv.org/abs/1706.03762");
    expect(link?.getAttribute("target")).toBe("_blank");
    expect(link?.getAttribute("rel")).toContain("noopener");
  });

  it("does not leak its link rule into other DOMPurify users, and shows empty notes as nothing", async () => {
    const { default: DOMPurify } = await import("dompurify");
    expect(DOMPurify.sanitize('<a href="https://x.org">x</a>')).not.toContain("_blank");
    expect(rendered("").childNodes).toHaveLength(0);
    expect(renderMarkdown("   ")).toBe("");
  });
});
