import { describe, expect, it } from "vitest";
import { BodyWriteLog } from "../src/runtime/body-write-log.js";

/** Orchestra's own edit's webhook tells whether it overwrote someone's edit, and what to write back. */
describe("BodyWriteLog", () => {
  const write = (base: string, written: string, id: string) => ({ base, written, patches: [{ patch: { commandCursor: Number(id) }, accept: {} }] });

  it("finds the overwritten edit from the webhook of the write that overwrote it, with every write of Orchestra's since", () => {
    const log = new BodyWriteLog();
    const epic = log.forEpic("o/r#1");
    epic.record(write("B0", "B1", "1"));
    epic.record(write("B1", "B2", "2"));
    // W1's webhook: the body before it was the person's P, not B0. W2 was based on W1 (read again since).
    expect(log.echoed("o/r#1", "P", "B1")).toBe(true);
    epic.record(write("B2", "B3", "3"));
    expect(epic.overwritten()).toEqual({ from: "P", written: "B3", patches: [1, 2, 3].map((n) => ({ patch: { commandCursor: n }, accept: {} })) });
    // Kept until written back: a failed write is tried again.
    expect(epic.overwritten()).toBeDefined();
    epic.settled();
    expect(epic.overwritten()).toBeUndefined();
  });

  it("sees nothing overwritten in its own write's webhook, a title's edit, or a body it did not write", () => {
    const log = new BodyWriteLog();
    log.forEpic("o/r#1").record(write("B0", "B1", "1"));
    expect(log.echoed("o/r#1", "B0", "B1")).toBe(false);
    expect(log.echoed("o/r#1", "B1", "B1")).toBe(false);
    expect(log.echoed("o/r#1", "P", "X")).toBe(false);
    expect(log.echoed("o/r#2", "P", "B1")).toBe(false);
    expect(log.forEpic("o/r#1").overwritten()).toBeUndefined();
  });

  it("matches the newest write of a body written twice", () => {
    const log = new BodyWriteLog();
    const epic = log.forEpic("o/r#1");
    epic.record(write("B0", "B1", "1"));
    epic.record(write("B1", "B2", "2"));
    epic.record(write("B2", "B1", "3"));
    expect(log.echoed("o/r#1", "B2", "B1")).toBe(false);
    expect(log.echoed("o/r#1", "P", "B1")).toBe(true);
    expect(epic.overwritten()?.patches).toEqual([{ patch: { commandCursor: 3 }, accept: {} }]);
  });
});
