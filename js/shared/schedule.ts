// Several model changes usually arrive together (series + live + empty_message): draw once.

export function coalesce(task: () => void): { schedule: () => void; cancel: () => void } {
  let frame = 0;
  const raf =
    typeof requestAnimationFrame === "function"
      ? requestAnimationFrame
      : (cb: FrameRequestCallback) => setTimeout(() => cb(0), 16) as unknown as number;
  const caf = typeof cancelAnimationFrame === "function" ? cancelAnimationFrame : (id: number) => clearTimeout(id);
  return {
    schedule() {
      if (frame) return;
      frame = raf(() => {
        frame = 0;
        task();
      });
    },
    cancel() {
      if (frame) caf(frame);
      frame = 0;
    },
  };
}
