// Series values travel as little-endian float64 bytes (contract.py). ipywidgets hands them
// over as a DataView whose offset inside the message need not be 8-byte aligned.

import type { Bytes } from "./types";

const LITTLE_ENDIAN_HOST = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

export function toFloat64(value: Bytes | null | undefined): Float64Array {
  if (value === null || value === undefined) return new Float64Array(0);
  if (Array.isArray(value)) return Float64Array.from(value, (v) => (v === null ? NaN : v));
  if (value instanceof Float64Array) return value;
  let buffer: ArrayBufferLike;
  let offset = 0;
  let length: number;
  if (ArrayBuffer.isView(value)) {
    buffer = value.buffer;
    offset = value.byteOffset;
    length = value.byteLength;
  } else {
    buffer = value;
    length = value.byteLength;
  }
  const count = Math.floor(length / 8);
  if (LITTLE_ENDIAN_HOST && offset % 8 === 0) return new Float64Array(buffer, offset, count); // no copy
  const view = new DataView(buffer, offset, length);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}
