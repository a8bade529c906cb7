import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EpicWriteQueue, WRITE_PRIORITIES, type Ride, type WritePriority } from "../src/runtime/epic-write-queue.js";
import { BatchWriteError, type WriteOp, type WriteOutcome } from "../src/github/write-batch.js";

/** A write that resolves when told to, recording when it started. */
function gate(log: string[], name: string) {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    open = () => resolve(name);
    fail = reject;
  });
  return {
    write: () => {
      log.push(name);
      return done;
    },
    open,
    fail,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("EpicWriteQueue", () => {
  afterEach(() => vi.useRealTimers());

  it("runs one write at a time per epic, the most important first", async () => {
    const queue = new EpicWriteQueue();
    const log: string[] = [];
    // A slow body write holds the epic while others queue up behind it.
    const body = gate(log, "body");
    const results: Array<Promise<unknown>> = [queue.run("e", "body", body.write)];
    await tick();
    results.push(queue.run("e", "notification", async () => log.push("notification")));
    results.push(queue.run("e", "body", async () => log.push("second body")));
    results.push(queue.run("e", "launch", async () => log.push("launch")));
    results.push(queue.run("e", "merge", async () => log.push("merge")));
    await tick();
    expect(log).toEqual(["body"]);
    body.open();
    await Promise.all(results);
    expect(log).toEqual(["body", "merge", "launch", "second body", "notification"]);
  });

  it("keeps epics apart: one epic's slow write does not hold another's merge", async () => {
    const queue = new EpicWriteQueue();
    const log: string[] = [];
    const slow = gate(log, "a body");
    const a = queue.run("a", "body", slow.write);
    await queue.run("b", "merge", async () => log.push("b merge"));
    expect(log).toEqual(["a body", "b merge"]);
    slow.open();
    await a;
  });

  it("defers cosmetic writes until the epic is quiet, and the newest of a key wins", async () => {
    vi.useFakeTimers();
    const queue = new EpicWriteQueue({ settleMs: 1_000, maxDelayMs: 10_000 });
    const sent: string[] = [];
    const end = queue.begin("e");
    queue.defer("e", "status", "status", async () => sent.push("status v1"), () => {});
    queue.defer("e", "status", "status", async () => sent.push("status v2"), () => {});
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sent).toEqual([]); // a reconcile is running
    await queue.run("e", "merge", async () => sent.push("merge"));
    end();
    await vi.advanceTimersByTimeAsync(900);
    expect(sent).toEqual(["merge"]);
    await vi.advanceTimersByTimeAsync(200);
    expect(sent).toEqual(["merge", "status v2"]);
    expect(queue.size).toBe(0);
  });

  it("an event for the epic postpones its deferred writes, but never past the longest delay", async () => {
    vi.useFakeTimers();
    const queue = new EpicWriteQueue({ settleMs: 1_000, maxDelayMs: 3_000 });
    const sent: string[] = [];
    queue.defer("e", "status", "status", async () => sent.push("status"), () => {});
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(500);
      queue.touch("e");
    }
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(500);
    expect(sent).toEqual(["status"]);
  });

  it("a failed write rejects only its own promise and the queue goes on; a failed deferred write is reported", async () => {
    const queue = new EpicWriteQueue({ settleMs: 0 });
    const errors: unknown[] = [];
    queue.defer("e", "status", "status", () => Promise.reject(new Error("502")), (error) => errors.push(error));
    const failing = queue.run("e", "body", () => Promise.reject(new Error("409")));
    const after = queue.run("e", "notification", async () => "posted");
    await expect(failing).rejects.toThrow("409");
    await expect(after).resolves.toBe("posted");
    await queue.drain();
    expect(errors).toEqual([new Error("502")]);
  });

  describe("riding along", () => {
    const statusOp: WriteOp = { kind: "update-comment", commentId: "IC_1", body: "status" };
    const deleteOp: WriteOp = { kind: "delete-ref", refId: "REF_1" };

    /** A deferred write that records whether it went alone or rode, and what it heard. */
    function rider(queue: EpicWriteQueue, key: string, op: WriteOp, log: string[], patientMs?: number) {
      queue.defer(
        "e",
        key,
        key === "status" ? "status" : "cleanup",
        async () => log.push(`${key} alone`),
        (error) => log.push(`${key} failed: ${(error as Error).message}`),
        { ride: { op, rode: (outcome: WriteOutcome) => { if (!outcome.ok) throw outcome.error; log.push(`${key} rode`); } }, ...(patientMs ? { patientMs } : {}) },
      );
    }

    it("the next carrying write takes the epic's deferred writes that may ride, in their order, and each hears its own outcome", async () => {
      vi.useFakeTimers();
      const queue = new EpicWriteQueue({ settleMs: 1_000 });
      const log: string[] = [];
      const end = queue.begin("e");
      rider(queue, "status", statusOp, log, 30_000);
      rider(queue, "cleanup", deleteOp, log);
      queue.defer("e", "react", "notification", async () => log.push("react alone"), () => {});
      const carried: WriteOp[][] = [];
      const body = queue.carry("e", "body", async (rides: Ride[]) => {
        carried.push(rides.map((ride) => ride.op));
        log.push("body");
        rides.forEach((ride) => ride.settle({ ok: true }));
        return "written";
      });
      await expect(body).resolves.toBe("written");
      end();
      await vi.advanceTimersByTimeAsync(40_000);
      // The status (deferred first, more important) before the deletion; the write that cannot ride goes alone.
      expect(carried).toEqual([[statusOp, deleteOp]]);
      expect(log).toEqual(["body", "status rode", "cleanup rode", "react alone"]);
      expect(queue.size).toBe(0);
    });

    it("a refusal of one ride is handled as that write's own failure; the others and the carrier are unaffected", async () => {
      const queue = new EpicWriteQueue({ settleMs: 1_000 });
      const log: string[] = [];
      const end = queue.begin("e");
      rider(queue, "status", statusOp, log);
      rider(queue, "cleanup", deleteOp, log);
      await queue.carry("e", "body", async (rides: Ride[]) => {
        rides[0]!.settle({ ok: false, error: new BatchWriteError("Resource not accessible by integration", 403, "FORBIDDEN") });
        rides[1]!.settle({ ok: true });
      });
      end();
      await queue.drain();
      expect(log).toEqual(["status failed: Resource not accessible by integration", "cleanup rode"]);
    });

    it("a carrier that fails before sending its rides loses none: they wait again and go alone", async () => {
      const queue = new EpicWriteQueue({ settleMs: 1_000 });
      const log: string[] = [];
      const end = queue.begin("e");
      rider(queue, "status", statusOp, log);
      await expect(queue.carry("e", "body", () => Promise.reject(new Error("502")))).rejects.toThrow("502");
      end();
      await queue.drain();
      expect(log).toEqual(["status alone"]);
    });

    it("a newer write of the same key deferred while the carrier ran replaces the one it did not send", async () => {
      const queue = new EpicWriteQueue({ settleMs: 1_000 });
      const log: string[] = [];
      const end = queue.begin("e");
      rider(queue, "status", statusOp, log);
      await expect(
        queue.carry("e", "body", async () => {
          queue.defer("e", "status", "status", async () => log.push("newer status alone"), () => {});
          throw new Error("502");
        }),
      ).rejects.toThrow("502");
      end();
      await queue.drain();
      expect(log).toEqual(["newer status alone"]);
    });

    it("a patient write waits for a ride past the quiet moment, and goes alone only after its patience", async () => {
      vi.useFakeTimers();
      const queue = new EpicWriteQueue({ settleMs: 500, maxDelayMs: 15_000 });
      const log: string[] = [];
      rider(queue, "status", statusOp, log, 30_000);
      await vi.advanceTimersByTimeAsync(20_000);
      expect(log).toEqual([]);
      await vi.advanceTimersByTimeAsync(10_500);
      expect(log).toEqual(["status alone"]);
    });

    it("drain sends a patient write at once", async () => {
      const queue = new EpicWriteQueue({ settleMs: 500 });
      const log: string[] = [];
      rider(queue, "status", statusOp, log, 30_000);
      await queue.drain();
      expect(log).toEqual(["status alone"]);
    });
  });

  it("cancel drops a pending deferred write", async () => {
    vi.useFakeTimers();
    const queue = new EpicWriteQueue({ settleMs: 1_000 });
    const sent: string[] = [];
    queue.defer("e", "status", "status", async () => sent.push("stale"), () => {});
    expect(queue.pending("e", "status")).toBe(true);
    expect(queue.cancel("e", "status")).toBe(true);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sent).toEqual([]);
    expect(queue.size).toBe(0);
  });

  it("property: every write runs exactly once (deferred ones: the newest of each key), important before deferred, by priority", async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("run" as const), priority: fc.constantFrom(...WRITE_PRIORITIES), fails: fc.boolean() }),
      fc.record({ kind: fc.constant("defer" as const), key: fc.constantFrom("status", "react-1", "react-2"), fails: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const queue = new EpicWriteQueue({ settleMs: 0, maxDelayMs: 0 });
        const ran: Array<{ id: number; rank: number; deferred: boolean }> = [];
        const blocker = gate([], "blocker");
        const held = queue.run("e", "merge", blocker.write);
        const runs: Array<Promise<unknown>> = [];
        const newestOfKey = new Map<string, number>();
        const failures: number[] = [];
        ops.forEach((item, id) => {
          const write = async () => {
            ran.push({ id, rank: item.kind === "run" ? WRITE_PRIORITIES.indexOf(item.priority as WritePriority) : 99, deferred: item.kind === "defer" });
            if (item.fails) throw new Error(`write ${id} failed`);
          };
          if (item.kind === "run") runs.push(queue.run("e", item.priority, write).catch(() => failures.push(id)));
          else {
            newestOfKey.set(item.key, id);
            queue.defer("e", item.key, "status", write, () => failures.push(id));
          }
        });
        blocker.open();
        await held;
        await Promise.all(runs);
        await queue.drain();
        const expected = ops.flatMap((item, id) => (item.kind === "run" || newestOfKey.get(item.key) === id ? [id] : []));
        expect(ran.map((entry) => entry.id).sort((a, b) => a - b)).toEqual(expected);
        // Everything queued while the blocker ran goes by priority, the deferred after it all.
        const ranks = ran.map((entry) => entry.rank);
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        expect(failures.sort((a, b) => a - b)).toEqual(expected.filter((id) => ops[id]!.fails));
        expect(queue.size).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
