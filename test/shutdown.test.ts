import pino from "pino";
import { describe, expect, it } from "vitest";
import { handleShutdownSignals } from "../src/shutdown.js";

const log = pino({ level: "silent" });

describe("graceful shutdown", () => {
  it("stops the server, waits for the reconciles in flight, then exits 0", async () => {
    const steps: string[] = [];
    const shutdown = handleShutdownSignals({
      log,
      timeoutMs: 1_234,
      signals: [],
      stopServer: async () => void steps.push("server stopped"),
      drain: async (timeoutMs) => {
        steps.push(`drain ${timeoutMs}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        steps.push("drained");
        return true;
      },
      exit: (code) => void steps.push(`exit ${code}`),
    });
    await shutdown("SIGTERM");
    expect(steps).toEqual(["server stopped", "drain 1234", "drained", "exit 0"]);
  });

  it("exits 0 after the bounded wait even if a reconcile is still running, and at once on a second signal", async () => {
    const exits: number[] = [];
    const shutdown = handleShutdownSignals({
      log,
      timeoutMs: 10,
      signals: [],
      stopServer: () => new Promise(() => {}),
      drain: async () => false,
      exit: (code) => void exits.push(code),
    });
    const first = shutdown("SIGTERM");
    await shutdown("SIGINT");
    expect(exits).toEqual([1]);
    await first;
    expect(exits).toEqual([1, 0]);
  });
});
