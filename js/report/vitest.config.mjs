// The report's unit tests: `npx vitest run --config js/report/vitest.config.mjs` (the shared
// config, js/vitest.config.mjs, looks in js/test only).
import { defineConfig, mergeConfig } from "vitest/config";
import base from "../vitest.config.mjs";

export default mergeConfig(base, defineConfig({ test: { include: ["test/**/*.test.ts", "report/**/*.test.ts"] } }));
