import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringBytes, TtlCache } from "../src/ttl-cache.js";

type Op = { kind: "set"; key: number; value: string } | { kind: "get"; key: number } | { kind: "delete"; key: number } | { kind: "tick"; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key: fc.nat(20), value: fc.string({ maxLength: 200 }) }),
  fc.record({ kind: fc.constant("get" as const), key: fc.nat(20) }),
  fc.record({ kind: fc.constant("delete" as const), key: fc.nat(20) }),
  fc.record({ kind: fc.constant("tick" as const), ms: fc.nat(400) }),
);

describe("TtlCache", () => {
  it("never holds more entries or bytes than its bounds, and answers only the value last set, unexpired", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 100, max: 2_000 }), (ops, capacity, maxBytes) => {
        let now = 0;
        const ttlMs = 1_000;
        const cache = new TtlCache<number, string>(ttlMs, capacity, () => now, { maxBytes, sizeOf: stringBytes });
        /** What was last set under each key, and when: the cache may have forgotten it, never changed it. */
        const last = new Map<number, { value: string; at: number }>();
        for (const step of ops) {
          if (step.kind === "set") {
            cache.set(step.key, step.value);
            last.set(step.key, { value: step.value, at: now });
          } else if (step.kind === "delete") {
            cache.delete(step.key);
            last.delete(step.key);
          } else if (step.kind === "tick") {
            now += step.ms;
          } else {
            const got = cache.get(step.key);
            const expected = last.get(step.key);
            if (got !== undefined) {
              expect(got).toBe(expected?.value);
              expect(now - expected!.at).toBeLessThan(ttlMs);
            }
          }
          expect(cache.size).toBeLessThanOrEqual(capacity);
          expect(cache.bytes).toBeLessThanOrEqual(maxBytes);
        }
      }),
    );
  });

  it("keeps the newest entries that fit, counting each value's bytes", () => {
    const cache = new TtlCache<string, string>(60_000, 100, Date.now, { maxBytes: 3 * stringBytes("x".repeat(100)), sizeOf: stringBytes });
    for (const key of ["a", "b", "c", "d"]) cache.set(key, "x".repeat(100));
    expect([cache.get("a"), cache.get("b") !== undefined, cache.get("d") !== undefined]).toEqual([undefined, true, true]);
    expect(cache.bytes).toBe(3 * stringBytes("x".repeat(100)));
    // A value larger than the whole bound is not kept, and does not push the others out.
    cache.set("huge", "x".repeat(1_000));
    expect([cache.get("huge"), cache.size]).toEqual([undefined, 3]);
  });
});
