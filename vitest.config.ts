import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 20_000,
    pool: "forks",
    // Most of the suite's time is end-to-end runs waiting on real timers: two files at once on two cores.
    maxWorkers: 2,
  },
});
