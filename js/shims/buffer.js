// Stand-in for node's `buffer` in the browser bundle. Only typedarray-pool (via plotly's
// gl-text) imports it, and only to ask `Buffer.isBuffer`: no Node Buffer ever reaches it here,
// so the ~25 kB `buffer` polyfill would be dead weight.
export class Buffer {
  static isBuffer() {
    return false;
  }
  constructor() {
    throw new Error("Buffer is not available in labtrack's widget bundle");
  }
}
