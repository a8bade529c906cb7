import fc from "fast-check";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { CursorClient } from "../src/cursor/client.js";
import { ProcessLaunchLedger, type LaunchLedger } from "../src/cursor/launch-ledger.js";

/**
 * Launches through the real ledger and the real Cursor client against a Cursor answered by nock:
 * an attempt's agent is looked up only when an earlier launch of it may have gone through, and
 * no attempt ever gets two agents, whatever crashes, timeouts and failed body writes happen.
 */

const BASE = "http://cursor.test";
const REPO = "https://github.com/octo-org/widgets";

interface FakeAgent {
  id: string;
  repository: string;
  branch: string;
}

/**
 * Cursor's agents (newest last) and the requests it saw. `failNextCreate` takes a create, answers
 * 504, and fails the listing the client then makes to find it: the launch ends in doubt.
 */
function fakeCursor() {
  const state = { agents: [] as FakeAgent[], calls: [] as string[], failNextCreate: false, failNextList: false };
  const json = (agent: FakeAgent) => ({
    id: agent.id,
    status: "CREATING",
    source: { repository: agent.repository, ref: "main" },
    target: { branchName: agent.branch, autoCreatePr: true },
    createdAt: "2026-01-01T00:00:00Z",
  });
  nock(BASE)
    .persist()
    .get("/v0/agents")
    .query(true)
    .reply(() => {
      state.calls.push("list");
      if (state.failNextList) {
        state.failNextList = false;
        return [503, { error: "unavailable" }];
      }
      return [200, { agents: [...state.agents].reverse().slice(0, 100).map(json) }];
    })
    .post("/v0/agents")
    .reply((_uri, body) => {
      const input = body as { source: { repository: string }; target: { branchName: string } };
      const agent = { id: `bc-${state.agents.length + 1}`, repository: input.source.repository, branch: input.target.branchName };
      state.agents.push(agent);
      state.calls.push(`create ${agent.branch}`);
      if (state.failNextCreate) {
        // Cursor took it, but the answer never arrived: the client cannot tell it went through.
        state.failNextCreate = false;
        state.failNextList = true;
        return [504, { error: "gateway timeout" }];
      }
      return [201, json(agent)];
    });
  return state;
}

const client = () => new CursorClient({ apiKey: "key", baseUrl: BASE, maxRetries: 0, sleep: async () => {} });

/** What act() does for one launch: the earlier agent if one may exist, else a create. */
async function launch(ledger: LaunchLedger, cursor: CursorClient, branch: string) {
  const existing = await ledger.existing(cursor, REPO, branch);
  return existing ?? (await ledger.create(cursor, { prompt: "work", repository: REPO, ref: "main", branchName: branch }));
}

describe("the launch ledger", () => {
  it("asks Cursor once per launch after the process's first: the create", async () => {
    const cursor = fakeCursor();
    const ledger = new ProcessLaunchLedger();
    const api = client();
    for (const branch of ["orchestra/1-t1-a1", "orchestra/1-t2-a1", "orchestra/2-t1-a1"]) {
      await launch(ledger, api, branch);
      ledger.recorded(REPO, [branch]);
    }
    expect(cursor.calls).toEqual(["list", "create orchestra/1-t1-a1", "create orchestra/1-t2-a1", "create orchestra/2-t1-a1"]);
  });

  it("lists nothing for an epic whose first run began after the process started: no process before can have launched for it", async () => {
    const cursor = fakeCursor();
    let now = 1_000_000;
    const ledger = new ProcessLaunchLedger(10_000, () => now);
    const api = client();
    now += 60_000;
    ledger.firstRun(REPO, 1, now - 5_000);
    for (const branch of ["orchestra/1-t1-a1", "orchestra/1-t2-a1"]) {
      await launch(ledger, api, branch);
      ledger.recorded(REPO, [branch]);
    }
    // Another epic, whose start command is older than the process: it may have been carried out before.
    ledger.firstRun(REPO, 2, 1_000_000 - 1);
    await launch(ledger, api, "orchestra/2-t1-a1");
    expect(cursor.calls).toEqual(["create orchestra/1-t1-a1", "create orchestra/1-t2-a1", "list", "create orchestra/2-t1-a1"]);
  });

  it("a launch of a first run still looks for its own attempt when it is in doubt", async () => {
    const cursor = fakeCursor();
    let now = 1_000_000;
    const ledger = new ProcessLaunchLedger(10_000, () => now);
    const api = client();
    now += 60_000;
    ledger.firstRun(REPO, 1, now);
    cursor.failNextCreate = true;
    await expect(launch(ledger, api, "orchestra/1-t1-a1")).rejects.toThrow();
    expect((await launch(ledger, api, "orchestra/1-t1-a1")).id).toBe("bc-1");
    expect(cursor.calls).toEqual(["create orchestra/1-t1-a1", "list", "list"]);
  });

  it("adopts the agent a crashed process created before recording it, without a second create", async () => {
    const cursor = fakeCursor();
    await launch(new ProcessLaunchLedger(), client(), "orchestra/1-t1-a1"); // the process dies before the body write

    const agent = await launch(new ProcessLaunchLedger(), client(), "orchestra/1-t1-a1");

    expect(agent.id).toBe("bc-1");
    expect(cursor.calls).toEqual(["list", "create orchestra/1-t1-a1", "list"]);
  });

  it("looks again for an attempt whose create timed out or whose body write failed", async () => {
    const cursor = fakeCursor();
    const ledger = new ProcessLaunchLedger();
    const api = client();
    cursor.failNextCreate = true;
    await expect(launch(ledger, api, "orchestra/1-t1-a1")).rejects.toThrow();
    expect((await launch(ledger, api, "orchestra/1-t1-a1")).id).toBe("bc-1");
    ledger.recorded(REPO, ["orchestra/1-t1-a1"]);
    // The next attempt is a first launch again: one call.
    await launch(ledger, api, "orchestra/1-t1-a2");
    // The client's own look after the 504 failed too; the ledger's look finds the agent.
    expect(cursor.calls).toEqual(["list", "create orchestra/1-t1-a1", "list", "list", "create orchestra/1-t1-a2"]);
  });

  it("never launches two agents for one attempt, across crashes, timeouts and failed writes", async () => {
    const step = fc.record({
      attempt: fc.integer({ min: 1, max: 4 }),
      task: fc.constantFrom("t1", "t2"),
      // What happens around this launch: it is recorded in the body; the create times out; the
      // body write fails; the process dies after the create or before it; another repository's
      // agent is launched meanwhile.
      outcome: fc.constantFrom("recorded", "create-times-out", "write-fails", "crash-after-create", "crash-before-create", "elsewhere"),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 20 }), async (steps) => {
        nock.cleanAll();
        const cursor = fakeCursor();
        const api = client();
        let ledger = new ProcessLaunchLedger();
        /** Attempts the issue body records: decide() never launches those again. */
        const body = new Set<string>();
        for (const { attempt, task, outcome } of steps) {
          const branch = `orchestra/1-${task}-a${attempt}`;
          if (outcome === "elsewhere") {
            cursor.agents.push({ id: `other-${cursor.agents.length}`, repository: "https://github.com/someone/else", branch });
            continue;
          }
          if (body.has(branch)) continue;
          if (outcome === "crash-before-create") {
            await ledger.existing(api, REPO, branch);
            ledger = new ProcessLaunchLedger();
            continue;
          }
          cursor.failNextCreate = outcome === "create-times-out";
          const launched = await launch(ledger, api, branch).catch(() => null);
          if (outcome === "crash-after-create") ledger = new ProcessLaunchLedger();
          else if (launched && outcome === "recorded") {
            body.add(branch);
            ledger.recorded(REPO, [branch]);
          }
        }
        const ours = cursor.agents.filter((agent) => agent.repository === REPO).map((agent) => agent.branch);
        expect(ours.length).toBe(new Set(ours).size);
      }),
      { numRuns: 60 },
    );
  });
});
