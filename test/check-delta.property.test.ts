import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyCheckDelta, type CheckDelta } from "../src/github/check-delta.js";
import { toSnapshotRead } from "../src/github/snapshot-read.js";
import type { GqlCheckRun, GqlMergeStateStatus, GqlPullRequest, GqlSnapshot, GqlStatusContext } from "../src/github/snapshot-query.js";
import { SnapshotCache } from "../src/runtime/snapshot-cache.js";

/**
 * The snapshot cache takes in a finished check only where GitHub's own answer, read again, would
 * say the same: the checks' verdict and the merge verdict of a later read are what the patched
 * snapshot says, whatever order the checks finish in; anything it cannot know makes it stale.
 */

const HEAD = "a".repeat(40);
const BRANCH = "orchestra/7-t1-a1";
const CI_APP = 15368;

type Check = { kind: "run"; id: number; app: number; status: "QUEUED" | "IN_PROGRESS" | "COMPLETED"; conclusion: string | null } | { kind: "status"; context: string; state: string };
const SUITE = 501;

function contexts(checks: Check[]): Array<GqlCheckRun | GqlStatusContext> {
  return checks.map((check) =>
    check.kind === "run"
      ? { __typename: "CheckRun", databaseId: check.id, name: `check ${check.id}`, status: check.status, conclusion: check.conclusion, title: null, summary: null, detailsUrl: null, checkSuite: { databaseId: SUITE, app: { databaseId: check.app } } }
      : { __typename: "StatusContext", context: check.context, state: check.state, description: null, targetUrl: null },
  );
}

/** The state GitHub computes from the contexts (PENDING while any runs, FAILURE if any failed). */
function rollupOf(checks: Check[]): string {
  let pending = false;
  for (const check of checks) {
    const passed = check.kind === "run" ? check.status === "COMPLETED" && ["SUCCESS", "NEUTRAL", "SKIPPED"].includes(check.conclusion ?? "") : check.state === "SUCCESS";
    const running = check.kind === "run" ? check.status !== "COMPLETED" : check.state === "PENDING" || check.state === "EXPECTED";
    if (running) pending = true;
    else if (!passed) return "FAILURE";
  }
  return pending ? "PENDING" : "SUCCESS";
}

/** GitHub's answer for one open PR whose head has `checks`, as a fresh read would give it. */
function snapshot(checks: Check[], mergeState: GqlMergeStateStatus, mergeable: GqlPullRequest["mergeable"] = "MERGEABLE"): GqlSnapshot {
  const state = rollupOf(checks);
  const derived = mergeState === "UNSTABLE" || mergeState === "CLEAN" ? (state === "SUCCESS" ? "CLEAN" : "UNSTABLE") : mergeState;
  const pr = {
    number: 12,
    url: "https://github.com/octo-org/widgets/pull/12",
    state: "OPEN",
    merged: false,
    mergeable,
    mergeStateStatus: derived,
    isDraft: false,
    headRefName: BRANCH,
    headRefOid: HEAD,
    baseRefName: "main",
    headRepository: { nameWithOwner: "octo-org/widgets" },
    createdAt: "2026-01-01T00:00:00Z",
    reviews: { totalCount: 0, nodes: [] },
    commits: { nodes: [{ commit: { oid: HEAD, committedDate: "2026-01-01T00:00:00Z", statusCheckRollup: checks.length ? { state, contexts: { nodes: contexts(checks), pageInfo: { hasNextPage: false, endCursor: null } } } : null } }] },
  } as unknown as GqlPullRequest;
  return {
    repository: {
      nameWithOwner: "octo-org/widgets",
      deleteBranchOnMerge: false,
      defaultBranchRef: { name: "main" },
      issue: null,
      b0: { nodes: [pr] },
    },
  } as unknown as GqlSnapshot;
}

const view = (data: GqlSnapshot) => toSnapshotRead({ data, branches: [BRANCH] }).pulls.get(BRANCH)![0]!;

const checksArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 1_000 }), { minLength: 1, maxLength: 5 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((id) =>
        fc.record({ kind: fc.constant("run" as const), id: fc.constant(id), app: fc.constantFrom(CI_APP, 42), status: fc.constantFrom("QUEUED" as const, "IN_PROGRESS" as const), conclusion: fc.constant(null) }),
      ),
    ),
  );

/** What a run ends as, and the webhook that says so (its suite done once it is the last). */
function finish(check: Check, conclusion: string, last = true): { done: Check; delta: Extract<CheckDelta, { kind: "check_run" }> } {
  if (check.kind !== "run") throw new Error("only runs finish here");
  return {
    done: { ...check, status: "COMPLETED", conclusion },
    delta: { kind: "check_run", sha: HEAD, id: check.id, conclusion: conclusion.toLowerCase(), title: null, summary: null, startedAt: null, suiteCompleted: last },
  };
}

describe("applyCheckDelta", () => {
  it("agrees with a fresh read of GitHub after every check that finishes, in any order, until one it cannot take in", () => {
    fc.assert(
      fc.property(
        checksArb,
        fc.constantFrom<GqlMergeStateStatus>("UNSTABLE", "HAS_HOOKS"),
        fc.array(fc.constantFrom("SUCCESS", "SUCCESS", "NEUTRAL", "FAILURE"), { minLength: 5, maxLength: 5 }),
        fc.infiniteStream(fc.nat()),
        (initial, mergeState, conclusions, picks) => {
          const cached = snapshot(initial, mergeState);
          let truth: Check[] = [...initial];
          const open = initial.map((_, i) => i);
          while (open.length > 0) {
            const at = open.splice(picks.next().value % open.length, 1)[0]!;
            const { done, delta } = finish(truth[at]!, conclusions[at]!, open.length === 0);
            truth = truth.map((check, i) => (i === at ? done : check));
            const applied = applyCheckDelta(cached, 1, delta);
            // The same webhook again (a redelivery) is never taken in twice.
            expect(applyCheckDelta(structuredClone(cached), 1, delta)).toBe("stale");
            expect(applied).not.toBe(open.length === 0 ? "pending" : "taken");
            if (applied === "stale") {
              // Only a failure is refused here: its details must be read from GitHub.
              expect(rollupOf([done])).toBe("FAILURE");
              return;
            }
            const fresh = view(snapshot(truth, mergeState));
            const patched = view(cached);
            expect(patched.checks).toBe(fresh.checks);
            expect(patched.mergeState).toBe(fresh.mergeState);
            expect(patched.failingChecks).toEqual(fresh.failingChecks);
          }
          expect(view(cached).checks).toBe("success");
        },
      ),
    );
  });

  it("takes in nothing it did not see start, nor anything about a PR whose merge verdict rests on more than its checks", () => {
    const running: Check[] = [{ kind: "run", id: 1, app: CI_APP, status: "IN_PROGRESS", conclusion: null }];
    const pass = finish(running[0]!, "SUCCESS").delta;
    expect(applyCheckDelta(snapshot(running, "UNSTABLE"), 1, { ...pass, id: 2 } as CheckDelta)).toBe("stale");
    expect(applyCheckDelta(snapshot(running, "UNSTABLE"), 1, { ...pass, sha: "b".repeat(40) })).toBe("stale");
    for (const state of ["BLOCKED", "BEHIND", "DIRTY", "UNKNOWN", "DRAFT"] as const) expect(applyCheckDelta(snapshot(running, state), 1, pass)).toBe("stale");
    expect(applyCheckDelta(snapshot(running, "UNSTABLE", "UNKNOWN"), 1, pass)).toBe("stale");
    expect(applyCheckDelta(snapshot([], "UNSTABLE"), 1, pass)).toBe("stale");
    // GitHub's rollup says more than the contexts held: something unseen is pending.
    const unexplained = snapshot(running, "UNSTABLE");
    const rollup = unexplained.repository!.b0!.nodes[0]!.commits.nodes[0]!.commit.statusCheckRollup!;
    (rollup.contexts.nodes[0] as GqlCheckRun).status = "COMPLETED";
    (rollup.contexts.nodes[0] as GqlCheckRun).conclusion = "SUCCESS";
    rollup.contexts.nodes.push(...contexts([{ kind: "run", id: 2, app: CI_APP, status: "IN_PROGRESS", conclusion: null }]));
    rollup.state = "FAILURE";
    expect(applyCheckDelta(unexplained, 1, { ...pass, id: 2 })).toBe("stale");
    // A run whose suite is still going takes the run in, but decides nothing; a run that starts later is taken in as running.
    const chained = snapshot(running, "UNSTABLE");
    expect(applyCheckDelta(chained, 1, { ...pass, suiteCompleted: false })).toBe("pending");
    expect(applyCheckDelta(chained, 1, { kind: "check_run_started", sha: HEAD, id: 3, name: "test", status: "queued", startedAt: null, suiteId: SUITE, appId: CI_APP })).toBe("pending");
    expect(view(chained)).toMatchObject({ checks: "pending", mergeState: "UNSTABLE" });
    expect(applyCheckDelta(chained, 1, { ...pass, id: 3 })).toBe("taken");
    expect(view(chained)).toMatchObject({ checks: "success", mergeState: "CLEAN" });
    // A webhook of an earlier run of the same id (it started again since) is not this run's.
    const rerun = snapshot(running, "UNSTABLE");
    (rerun.repository!.b0!.nodes[0]!.commits.nodes[0]!.commit.statusCheckRollup!.contexts.nodes[0] as GqlCheckRun).startedAt = "2026-01-01T00:05:00Z";
    expect(applyCheckDelta(rerun, 1, { ...pass, startedAt: "2026-01-01T00:00:00Z" })).toBe("stale");
    // Orchestra's own audit is never taken from a webhook: its verdict is read with the snapshot.
    const audit = snapshot(running, "UNSTABLE");
    (audit.repository!.b0!.nodes[0]!.commits.nodes[0]!.commit.statusCheckRollup!.contexts.nodes[0] as GqlCheckRun).name = "Orchestra audit";
    expect(applyCheckDelta(audit, 1, pass)).toBe("stale");
    // A suite's completion must agree with its runs as the snapshot has them.
    const suite: CheckDelta = { kind: "check_suite", sha: HEAD, id: SUITE, conclusion: "success" };
    expect(applyCheckDelta(snapshot(running, "UNSTABLE"), 1, suite)).toBe("stale");
    const finished = snapshot(running, "UNSTABLE");
    expect(applyCheckDelta(finished, 1, { ...pass, suiteCompleted: false })).toBe("pending");
    expect(applyCheckDelta(finished, 1, suite)).toBe("taken");
    expect(view(finished)).toMatchObject({ checks: "success", mergeState: "CLEAN" });
  });
});

describe("SnapshotCache", () => {
  const running: Check[] = [{ kind: "run", id: 1, app: CI_APP, status: "IN_PROGRESS", conclusion: null }];
  const pass = finish(running[0]!, "SUCCESS").delta;
  const read = () => toSnapshotRead({ data: snapshot(running, "UNSTABLE"), branches: [BRANCH] });

  it("serves a snapshot once per check it took in, only for the branches it was read with", async () => {
    const cache = new SnapshotCache();
    const epic = cache.forEpic("o/r#7");
    let reads = 0;
    const readGitHub = async () => (reads++, read());
    await epic.read([BRANCH], undefined, readGitHub);
    expect(cache.apply("o/r#7", pass)).toBe(true);
    expect(await epic.read(["other"], undefined, readGitHub)).toBeDefined();
    expect(reads).toBe(2);
    await epic.read([BRANCH], undefined, readGitHub);
    expect(cache.apply("o/r#7", pass)).toBe(true);
    const served = await epic.read([BRANCH], undefined, readGitHub);
    expect(reads).toBe(3);
    expect(served.pulls.get(BRANCH)![0]).toMatchObject({ checks: "success", mergeState: "CLEAN" });
    // Served once: a wake-up after it reads GitHub again.
    await epic.read([BRANCH], undefined, readGitHub);
    expect(reads).toBe(4);
  });

  it("keeps nothing as current that an event overtook, and nothing after any other event", async () => {
    const cache = new SnapshotCache();
    const epic = cache.forEpic("o/r#7");
    // A check finishes while the read is on its way: the read may predate it.
    await epic.read([BRANCH], undefined, async () => {
      cache.apply("o/r#7", pass);
      return read();
    });
    expect(epic.issue()).toBeUndefined();
    expect(cache.apply("o/r#7", pass)).toBe(false);
    await epic.read([BRANCH], undefined, async () => read());
    expect(cache.isCurrent("o/r#7")).toBe(true);
    cache.invalidate("o/r#7");
    expect(cache.apply("o/r#7", pass)).toBe(false);
    expect(cache.isCurrent("o/r#7")).toBe(false);
  });
});
