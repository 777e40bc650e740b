// Run from the repo root by `npm test`; DOM tests use happy-dom (works on Node 20).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL(".", import.meta.url).pathname,
    include: ["test/**/*.test.ts", "report/**/*.test.ts"],
    environment: "happy-dom",
  },
});
