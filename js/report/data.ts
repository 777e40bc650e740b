// Decoding the report's payload into what the widgets' figure code takes (pure: tested
// without a browser).

import type { Series } from "../shared/types";
import type { EncodedSeries, EncodedX } from "./types";

function bytes(base64: string): Uint8Array {
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Little-endian numbers of `width` bytes each, read whatever the host's byte order. */
function floats(base64: string, width: 4 | 8): Float64Array {
  const raw = bytes(base64);
  const view = new DataView(raw.buffer);
  const out = new Float64Array(Math.floor(raw.length / width));
  for (let i = 0; i < out.length; i++)
    out[i] = width === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
  return out;
}

export function decodeX(x: EncodedX): Float64Array {
  if ("f64" in x) return floats(x.f64, 8);
  const out = new Float64Array(x.count);
  for (let i = 0; i < x.count; i++) out[i] = x.start + x.step * i;
  return out;
}

/** A series as the line charts take it (their Series, with Float64Array x and y). */
export function decodeSeries(s: EncodedSeries): Series {
  return { ...s, x: decodeX(s.x), y: floats(s.y, 4) };
}

/** Only images inlined as PNG/JPEG/GIF/WebP data URIs are shown: nothing that loads from elsewhere. */
export function isInlineImage(src: unknown): src is string {
  return typeof src === "string" && /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/.test(src);
}
