import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMMAND_NAMES } from "../src/orchestration/commands.js";
import { DEFAULT_CONFIG as DEFAULTS, type OrchestraConfig } from "../src/orchestration/config.js";

// The simulated world has no clock: retries follow at once (the backoff has its own tests).
const DEFAULT_CONFIG: OrchestraConfig = { ...DEFAULTS, retryBackoffSeconds: 0 };
import { decide, isAgentLive, type Decision } from "../src/orchestration/decide.js";
import { branchName } from "../src/orchestration/naming.js";
import type { Intent, PullRequestView, Snapshot, TaskObservation } from "../src/orchestration/snapshot.js";
import { EPIC_STATUSES, TASK_STATES, type Plan, type Task } from "../src/orchestration/types.js";
import { parseBody } from "../src/orchestration/checklist.js";
import { STATUS_MARKER } from "../src/orchestration/status-comment.js";
import { testSigner } from "./helpers/signing.js";
import { isRunning } from "./helpers/world-edges.js";
import {
  commandIntent,
  ISSUE,
  makePlan,
  makeSnapshot,
  makeTask,
  reconcileOnce,
  settle,
  TASK_SCENARIOS,
  World,
  type StepFailure,
  type TaskScenario,
} from "./helpers/world.js";

// --- convergence in a simulated world -------------------------------------------------------

/** A plan of 1–5 tasks, each depending on some earlier ones (so the graph is acyclic). */
const epicArb = fc
  .integer({ min: 1, max: 5 })
  .chain((count) =>
    fc.record({
      deps: fc.tuple(...Array.from({ length: count }, (_, index) => fc.subarray(Array.from({ length: index }, (_, dep) => `t${dep + 1}`)))),
      scenarios: fc.tuple(...Array.from({ length: count }, () => fc.constantFrom(...TASK_SCENARIOS))),
      concurrency: fc.integer({ min: 1, max: 3 }),
      comments: fc.constantFrom("quiet", "all") as fc.Arbitrary<OrchestraConfig["comments"]>,
    }),
  )
  .map(({ deps, scenarios, concurrency, comments }) => {
    const plan = makePlan(
      deps.map((taskDeps, index) => makeTask(`t${index + 1}`, { deps: taskDeps })),
      { status: "planned" },
    );
    const byTask: Record<string, TaskScenario> = {};
    scenarios.forEach((scenario, index) => (byTask[`t${index + 1}`] = scenario));
    return { plan, scenarios: byTask, config: { ...DEFAULT_CONFIG, concurrency, comments } satisfies OrchestraConfig };
  });

/**
 * A webhook names only its epic: the reconcile it triggers reads the truth again. So a
 * duplicated webhook is a second reconcile, a dropped one none, and a late or reordered one a
 * reconcile at a later moment.
 */
type Action =
  | { kind: "event"; pick: number; webhook: "now" | "twice" | "dropped" | "late" }
  | { kind: "late-webhook" }
  | { kind: "race"; pick: number }
  | { kind: "fail"; failure: StepFailure };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("event" as const), pick: fc.nat(), webhook: fc.constantFrom("now", "twice", "dropped", "late") as fc.Arbitrary<"now" | "twice" | "dropped" | "late"> }) },
  { weight: 1, arbitrary: fc.constant({ kind: "late-webhook" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("race" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("fail" as const),
      failure: fc.record({ step: fc.nat({ max: 3 }), when: fc.constantFrom("before", "after") as fc.Arbitrary<"before" | "after"> }),
    }),
  },
);

const scheduleArb = fc.record({ startTwice: fc.boolean(), actions: fc.array(actionArb, { maxLength: 40 }) });

const START = commandIntent("start");

/** The run a perfect webhook stream would give: one reconcile after every world event. */
async function cleanRun(plan: Plan, scenarios: Record<string, TaskScenario>, config: OrchestraConfig): Promise<World> {
  const world = new World(plan, scenarios);
  await reconcileOnce(world, config, { intents: [START] });
  expect(await settle(world, config)).toBe(true);
  return world;
}

/** A person deleting the first unfinished task from `pick` on, before action `at` of the schedule. */
interface Deletion {
  at: number;
  pick: number;
}

async function scheduledRun(
  plan: Plan,
  scenarios: Record<string, TaskScenario>,
  config: OrchestraConfig,
  schedule: { startTwice: boolean; actions: Action[] },
  deletion?: Deletion,
): Promise<{ world: World; settled: boolean; deleted?: { taskId: string; mergesBefore: number } }> {
  const world = new World(plan, scenarios, { humanPushes: 2 });
  await reconcileOnce(world, config, { intents: [START] });
  if (schedule.startTwice) await reconcileOnce(world, config, { intents: [START] });
  let late = 0;
  let deleted: { taskId: string; mergesBefore: number } | undefined;
  for (const [index, action] of schedule.actions.entries()) {
    if (deletion && index === deletion.at) {
      const tasks = world.plan.tasks;
      const task = [...tasks.slice(deletion.pick % tasks.length), ...tasks].find((candidate) => candidate.state !== "merged");
      if (task) {
        deleted = { taskId: task.id, mergesBefore: world.merges.length };
        world.personDeletes(task.id);
      }
    }
    switch (action.kind) {
      case "event": {
        const events = world.events();
        const event = events[action.pick % Math.max(1, events.length)];
        if (!event) break;
        event.apply();
        if (action.webhook === "now") await reconcileOnce(world, config);
        if (action.webhook === "twice") {
          await reconcileOnce(world, config);
          await reconcileOnce(world, config);
        }
        if (action.webhook === "late") late += 1;
        break;
      }
      case "late-webhook":
        if (late > 0) {
          late -= 1;
          await reconcileOnce(world, config);
        }
        break;
      case "race":
        await reconcileOnce(world, config, { race: action.pick });
        break;
      case "fail":
        await reconcileOnce(world, config, { failure: action.failure });
        break;
    }
  }
  // The periodic resync: reconcile until nothing changes, the world moving on meanwhile.
  return { world, settled: await settle(world, config), ...(deleted ? { deleted } : {}) };
}

/**
 * What must match even when an answer was lost. The bookkeeping of a follow-up may then differ:
 * one whose answer was lost is not recorded in `fixes`/`followup` (act.ts's choice, not decide's).
 * A launch whose answer was lost is found again by its branch and counted in `runs` all the same.
 */
function outcome(plan: Plan) {
  return {
    status: plan.status,
    runs: plan.runs,
    tasks: plan.tasks.map(({ id, state, checked, attempt, pr, deps }) => ({ id, state, checked, attempt, pr, deps })),
  };
}

/** The plan without `seen`: GitHub's count of body edits, which follows how many writes a run took. */
function withoutSeen({ seen: _seen, ...plan }: Plan): Omit<Plan, "seen"> {
  return plan;
}

const RUNS = { numRuns: 200 };

describe("decide in a simulated world, carried out by the real act()", () => {
  it("(a) duplicated, reordered, dropped webhooks and failing calls converge to the clean run", async () => {
    await fc.assert(
      fc.asyncProperty(epicArb, scheduleArb, async ({ plan, scenarios, config }, schedule) => {
        const clean = await cleanRun(plan, scenarios, config);
        const { world, settled } = await scheduledRun(plan, scenarios, config, schedule);
        expect(settled).toBe(true);
        expect(world.violations).toEqual([]);

        expect(world.plan.status).toBe("completed");
        expect(world.plan.tasks.every((task) => task.state === "merged" && task.checked)).toBe(true);
        expect(world.issueClosed).toBe(1);
        // Each task merged exactly once, and said so once (with `comments: all`; quiet: in the status comment only).
        expect(world.merges.map((merge) => merge.taskId).sort()).toEqual(plan.tasks.map((task) => task.id).sort());
        for (const task of plan.tasks) {
          expect(world.comments.filter((comment) => comment.key === `merged-${task.id}`)).toHaveLength(config.comments === "all" ? 1 : 0);
        }
        expect(world.comments.filter((comment) => comment.key === "completed")).toHaveLength(1);
        // Nothing in these scenarios is a failure a person must hear about.
        expect(world.comments.filter((comment) => /^(failed|closed|paused)/.test(comment.key))).toEqual([]);
        // One status comment, edited in place, and recorded in the block.
        expect(world.allComments.filter((comment) => comment.body.includes(STATUS_MARKER))).toHaveLength(1);
        expect(world.plan.statusComment).toBe(world.statusComment?.id);

        expect(clean.plan.status).toBe("completed");
        expect(clean.violations).toEqual([]);
        if (world.lostResponses === 0) expect(withoutSeen(world.plan)).toEqual(withoutSeen(clean.plan));
        else expect(outcome(world.plan)).toEqual(outcome(clean.plan));
      }),
      RUNS,
    );
  });

  it("(b) never two live agents for one task, (c) every merge at a sha whose checks are green", async () => {
    await fc.assert(
      fc.asyncProperty(epicArb, scheduleArb, async ({ plan, scenarios, config }, schedule) => {
        const { world } = await scheduledRun(plan, scenarios, config, schedule);
        // The world records both the moment they happen: a second live agent at launch or
        // follow-up, a merge sent for a sha whose checks are not green.
        expect(world.violations).toEqual([]);
        for (const merge of world.merges) expect(world.checks.get(merge.sha)).toBe("success");
      }),
      RUNS,
    );
  });
});

describe("a task a person deletes mid-run, carried out by the real act()", () => {
  it("(d) is never merged afterwards, its attempts are closed out, and the epic still completes", async () => {
    const deletionArb = fc.record({ at: fc.nat({ max: 20 }), pick: fc.nat() });
    await fc.assert(
      fc.asyncProperty(epicArb, scheduleArb, deletionArb, async ({ plan, scenarios, config }, schedule, deletion) => {
        const { world, settled, deleted } = await scheduledRun(plan, scenarios, config, schedule, deletion);
        expect(settled).toBe(true);
        expect(world.violations).toEqual([]);
        // An epic left with no task at all is not completed: it waits for a person to add one.
        expect(world.plan.status).toBe(world.plan.tasks.length > 0 ? "completed" : "running");
        expect(world.plan.tasks.every((task) => task.state === "merged")).toBe(true);
        // Every attempt the block recorded is closed out, and the close-out recorded.
        expect(world.plan.live).toBeUndefined();
        if (!deleted) return;
        const { taskId } = deleted;
        expect(world.merges.slice(deleted.mergesBefore).filter((merge) => merge.taskId === taskId)).toEqual([]);
        // A launch whose answer was lost is not in the block: its agent and PR are not known to close.
        if (world.lostResponses > 0) return;
        expect(world.agents.filter((agent) => agent.taskId === taskId && isRunning(agent.status))).toEqual([]);
        expect(world.prs.filter((pr) => pr.taskId === taskId && pr.state === "open")).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});

// --- the simulated world itself: a property is only as good as the world that checks it -------

function decisionOf(steps: Decision["steps"]): Decision {
  return { patch: {}, notify: [], steps, final: [], closeIssue: false, waiting: {}, waitingFor: "" };
}

/** t1 driven to an open, green, mergeable PR, then one reconcile. */
async function greenWorld(config: OrchestraConfig = DEFAULT_CONFIG): Promise<World> {
  const world = new World(makePlan([makeTask("t1"), makeTask("t2", { deps: ["t1"] })]), {});
  await reconcileOnce(world, config); // launches t1
  world.events()[0]!.apply(); // its agent opens a PR
  world.events()[0]!.apply(); // CI passes
  await reconcileOnce(world, config); // records pr_open, merges and launches t2 in one pass
  return world;
}

describe("the simulated world", () => {
  it("records a second live agent for one task", async () => {
    const world = new World(makePlan([makeTask("t1")]), {});
    const launch = (attempt: number) => ({
      effect: { kind: "launch" as const, taskId: "t1", attempt, branch: branchName(ISSUE, "t1", attempt), prompt: "" },
    });
    await world.execute(decisionOf([launch(1), launch(1)]));
    expect(world.violations).toEqual([]); // the same branch: the running agent is found again
    await world.execute(decisionOf([launch(2)]));
    expect(world.violations).toEqual(["two live agents for t1: bc-t1-a1, bc-t1-a2"]);
  });

  it("records a merge sent for a sha whose checks are not green, and refuses one at a stale sha", async () => {
    const world = new World(makePlan([makeTask("t1")]), {});
    await reconcileOnce(world, DEFAULT_CONFIG);
    world.events()[0]!.apply(); // a PR with pending checks
    const pr = world.prs[0]!;
    const merge = (sha: string) => ({ effect: { kind: "merge" as const, taskId: "t1", pr: pr.number, sha, method: "squash" as const } });
    const stale = "0".repeat(40);
    world.checks.set(stale, "success"); // an older commit whose checks passed
    await world.execute(decisionOf([merge(stale), { effect: { kind: "launch", taskId: "t9", attempt: 1, branch: "b", prompt: "" } }]));
    expect(world.merges).toEqual([]);
    expect(world.agents.map((agent) => agent.taskId)).toEqual(["t1"]); // the refusal stopped the later step
    expect(world.plan.tasks[0]).toMatchObject({ refusals: 1, reason: expect.stringContaining("GitHub refused the merge (409)") });
    await world.execute(decisionOf([merge(pr.headSha)]));
    expect(world.violations).toEqual([`merge of #${pr.number} sent for ${pr.headSha} whose checks are pending`]);
  });

  it("deletes a merged branch after the launches: only when its merge went through, even when a launch after it failed", async () => {
    const world = new World(makePlan([makeTask("t1")]), {});
    await reconcileOnce(world, DEFAULT_CONFIG);
    world.events()[0]!.apply(); // a PR with pending checks
    world.events()[0]!.apply(); // CI passes
    const pr = world.prs[0]!;
    const merge = (sha: string) => ({ effect: { kind: "merge" as const, taskId: "t1", pr: pr.number, sha, method: "squash" as const } });
    const remove = { effect: { kind: "delete-branch" as const, branch: pr.branch }, soft: true };
    const launch = { effect: { kind: "launch" as const, taskId: "t9", attempt: 1, branch: "orchestra/9-t9-a1", prompt: "" } };
    const stale = "0".repeat(40);
    world.checks.set(stale, "success");
    // A refused merge: the deletion after it is never reached.
    await world.execute(decisionOf([merge(stale), remove, launch]));
    expect(world.deletedBranches).toEqual([]);
    // A merge that went through, then a launch that fails: the deletion was reached, so it is made.
    await world.execute(decisionOf([merge(pr.headSha), remove, launch]), { step: 2, when: "before" });
    expect(world.merges).toHaveLength(1);
    expect(world.agents.filter((agent) => agent.taskId === "t9")).toEqual([]);
    expect(world.deletedBranches).toEqual([pr.branch]);
  });

  it("merges a green PR and starts its dependant in one reconcile", async () => {
    const world = await greenWorld();
    expect(world.merges).toEqual([{ taskId: "t1", pr: 101, sha: world.prs[0]!.headSha }]);
    expect(world.plan.tasks.map((task) => [task.id, task.state])).toEqual([["t1", "merged"], ["t2", "running"]]);
    // Quiet by default: the merge shows in the status comment; `comments: all` also comments.
    expect(world.comments.map((comment) => comment.body)).toEqual([]);
    const loud = await greenWorld({ ...DEFAULT_CONFIG, comments: "all" });
    expect(loud.comments.map((comment) => comment.body)).toEqual(["✅ t1 merged in #101, starting t2."]);
  });

  it("a merge refused because a person pushed meanwhile is sent again at the new sha once it is green", async () => {
    const world = new World(makePlan([makeTask("t1")]), {}, { humanPushes: 1 });
    await reconcileOnce(world, DEFAULT_CONFIG);
    world.events()[0]!.apply();
    world.events()[0]!.apply();
    await reconcileOnce(world, DEFAULT_CONFIG, { race: 0 }); // decides the merge; a person pushes before it is sent
    expect(world.humanPushes).toBe(1);
    expect(world.merges).toEqual([]);
    expect(world.plan.status).toBe("running");
    expect(world.issueClosed).toBe(0);
    expect(await settle(world, DEFAULT_CONFIG)).toBe(true);
    expect(world.merges).toEqual([{ taskId: "t1", pr: 101, sha: world.prs[0]!.headSha }]);
    expect(world.personShas.has(world.prs[0]!.headSha)).toBe(true);
    expect(world.plan.status).toBe("completed");
    expect(world.issueClosed).toBe(1);
  });

  it("a refused last merge posts no completion summary: it is posted once, when the epic completes", async () => {
    const world = new World(makePlan([makeTask("t1")]), {}, { humanPushes: 1 });
    await reconcileOnce(world, DEFAULT_CONFIG);
    world.events()[0]!.apply();
    world.events()[0]!.apply();
    await reconcileOnce(world, DEFAULT_CONFIG, { race: 0 }); // the merge is refused: the head moved
    expect(world.comments.map((comment) => comment.key)).not.toContain("completed");
    expect(await settle(world, DEFAULT_CONFIG)).toBe(true);
    expect(world.comments.filter((comment) => comment.key === "completed")).toHaveLength(1);
  });

  it("closes out a deleted task's attempt once, and records it even when nothing else changed", async () => {
    const config = { ...DEFAULT_CONFIG, concurrency: 2 };
    const world = new World(makePlan([makeTask("t1"), makeTask("t2")]), {});
    await reconcileOnce(world, config); // launches both
    world.events()[0]!.apply(); // t1's agent opens a PR
    world.personDeletes("t1");
    expect(world.plan.live).toEqual([{ id: "t1", attempt: 1 }, { id: "t2", attempt: 1 }]);
    await reconcileOnce(world, config);
    expect(world.prs[0]).toMatchObject({ taskId: "t1", state: "closed" });
    expect(world.deletedBranches).toEqual([branchName(ISSUE, "t1", 1)]);
    expect(world.plan.live).toEqual([{ id: "t2", attempt: 1 }]);
    // Nothing left to do for t1: the next reconcile sends nothing.
    expect(decide(world.snapshot(), config).steps).toEqual([]);
  });

  it("keeps the epic's state in the issue body as Orchestra signs it: a forged marker is not believed", async () => {
    const world = await greenWorld();
    const parsed = parseBody(world.body, { verifier: testSigner() });
    expect(parsed.ok && parsed.parsed.trust).toEqual({ plan: true, forgedTasks: 0, legacy: false });
    expect(world.plan).toMatchObject({ status: "running", runs: 2, statusComment: world.statusComment!.id });
    // Anyone rewriting t2's marker by hand: its state is not believed, the item is read as a new one.
    world.body = world.body.replace(/(<!-- orchestra:task id=t2 )state=running/, "$1state=merged");
    expect(world.plan.tasks.map((task) => [task.id, task.title, task.state])).toEqual([
      ["t1", "Task t1", "merged"],
      ["t3", "Task t2", "pending"],
    ]);
  });
});

// --- any snapshot ---------------------------------------------------------------------------

const IDS = ["t1", "t2", "t3", "t4"] as const;
const SHAS = ["a".repeat(40), "b".repeat(40)] as const;

const text = fc.oneof(fc.constantFrom("", "Task", "t1", "2", "#3", "add", "/orchestra stop", "<!-- x -->"), fc.string({ maxLength: 20 }));

/** Usually `usual`, sometimes anything `other` gives: the cases that lead somewhere come up often. */
const mostly = <T>(usual: T, other: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: other });

const taskArb = (id: string): fc.Arbitrary<Task> =>
  fc
    .record({
      title: fc.oneof(fc.constant(`Task ${id}`), text),
      details: text,
      checked: fc.boolean(),
      state: fc.constantFrom(...TASK_STATES, "pending", "running", "pr_open", "pr_open"),
      attempt: fc.integer({ min: 0, max: 4 }),
      agent: mostly<string | undefined>(`bc-${id}`, fc.option(fc.constantFrom("bc-1", "bc-2"), { nil: undefined })),
      pr: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
      deps: fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: fc.subarray([...IDS.filter((other) => other !== id), "t9"]) }),
      fixes: fc.integer({ min: 0, max: 3 }),
      followup: fc.option(fc.constantFrom(`ci:${SHAS[0]}`, `update:${SHAS[0]}`, `rebase:${SHAS[0]}`, "review:7", "x"), { nil: undefined }),
      reason: fc.option(text, { nil: undefined }),
    })
    .map((fields): Task => ({ id, ...fields, deps: [...fields.deps] }));

const prArb = fc.record({
  number: fc.integer({ min: 1, max: 20 }),
  state: mostly<PullRequestView["state"]>("open", fc.constantFrom("closed", "merged")),
  ownBranch: mostly(true, fc.boolean()),
  headSha: fc.constantFrom(...SHAS),
  checksAtHead: mostly(true, fc.boolean()),
  sameRepo: mostly(true, fc.boolean()),
  isDraft: mostly(false, fc.boolean()),
  mergeable: mostly<boolean | null>(true, fc.constantFrom(false, null)),
  checks: mostly<PullRequestView["checks"]>("success", fc.constantFrom("pending", "failure", "none")),
  failingChecks: fc.array(fc.record({ name: text, summary: text }), { maxLength: 2 }),
  approved: fc.boolean(),
  changesRequested: mostly<{ id: number; author: string; text: string } | undefined>(
    undefined,
    fc.record({ id: fc.constantFrom(7, 8), author: text, text }),
  ),
});

/** Undefined: not read; null: unknown to Cursor. `ownId`: the id the task records. */
const agentArb = fc.option(
  fc.option(
    fc.record({
      ownId: mostly(true, fc.boolean()),
      status: mostly("FINISHED", fc.oneof(fc.constantFrom("CREATING", "RUNNING", "ERROR", "EXPIRED", "finished"), fc.string({ maxLength: 8 }))),
      prUrl: fc.option(fc.constant("https://github.com/acme/shop/pull/1"), { nil: undefined }),
      summary: fc.option(text, { nil: undefined }),
    }),
    { nil: null, freq: 6 },
  ),
  { nil: undefined, freq: 6 },
);

const intentArb: fc.Arbitrary<Intent> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        name: fc.constantFrom(...COMMAND_NAMES, "unknown"),
        arg: text,
        commentId: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        pr: fc.option(fc.record({ prTaskId: fc.constantFrom(...IDS, "t9"), target: fc.integer({ min: 1, max: 20 }) }), { nil: undefined }),
      })
      .map(({ name, arg, commentId, pr }) => {
        const intent = commandIntent(name, arg, pr ?? {});
        if (commentId === undefined) delete intent.commentId;
        else intent.commentId = commentId;
        return intent;
      }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("stop-agents" as const), agentIds: fc.array(fc.constantFrom("bc-1", "bc-9"), { maxLength: 2 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "plan" as const, actor: "octocat" }) },
);

const configArb: fc.Arbitrary<OrchestraConfig> = fc
  .record({
    concurrency: fc.integer({ min: 1, max: 3 }),
    maxAttempts: fc.integer({ min: 1, max: 4 }),
    maxFixes: fc.integer({ min: 0, max: 3 }),
    mergeMethod: fc.constantFrom("merge", "squash", "rebase") as fc.Arbitrary<OrchestraConfig["mergeMethod"]>,
    requireApproval: fc.boolean(),
    requireChecks: fc.boolean(),
    deleteBranch: fc.boolean(),
    closeOnComplete: fc.boolean(),
    agentRuns: fc.integer({ min: 1, max: 12 }),
  })
  .map(({ agentRuns, ...over }) => ({ ...DEFAULT_CONFIG, ...over, budget: { agentRuns } }));

const snapshotArb: fc.Arbitrary<Snapshot> = fc
  .record({
    tasks: fc.tuple(...IDS.map(taskArb)).chain((tasks) => fc.subarray(tasks, { minLength: 0 })),
    status: mostly<Plan["status"]>("running", fc.constantFrom(...EPIC_STATUSES)),
    runs: fc.integer({ min: 0, max: 12 }),
    observed: fc.tuple(
      ...IDS.map(() => fc.option(fc.record({ pr: fc.option(prArb, { nil: undefined, freq: 3 }), agent: agentArb }), { nil: undefined, freq: 5 })),
    ),
    intents: fc.oneof({ weight: 2, arbitrary: fc.constant<Intent[]>([]) }, { weight: 1, arbitrary: fc.array(intentArb, { maxLength: 3 }) }),
    issueState: mostly<"open" | "closed">("open", fc.constant("closed")),
  })
  .map(({ tasks, status, runs, observed, intents, issueState }) => {
    const observations: Record<string, TaskObservation> = {};
    IDS.forEach((id, index) => {
      const seen = observed[index];
      const task = tasks.find((candidate) => candidate.id === id);
      if (!seen || !task) return;
      const branch = branchName(ISSUE, id, task.attempt);
      const observation: TaskObservation = { branch };
      if (seen.pr) {
        const { ownBranch, checksAtHead, ...pr } = seen.pr;
        observation.pr = {
          ...pr,
          url: `https://github.com/acme/shop/pull/${pr.number}`,
          baseRef: "main",
          headRef: ownBranch ? branch : "feature/x",
          checksSha: checksAtHead ? pr.headSha : SHAS.find((sha) => sha !== pr.headSha)!,
        };
      }
      if (seen.agent === null) observation.agent = null;
      else if (seen.agent) {
        const { ownId, ...agent } = seen.agent;
        observation.agent = { ...agent, id: ownId && task.agent ? task.agent : "bc-9" };
      }
      observations[id] = observation;
    });
    return makeSnapshot(makePlan(tasks, { status, runs }), { observations, intents, issueState });
  });

const ACTIVE = new Set<Task["state"]>(["running", "pr_open", "merging"]);

/** The agent a task has working, as far as this snapshot tells (reconcile observes active tasks only). */
function liveAgent(snapshot: Snapshot, task: Task): string | undefined {
  if (!ACTIVE.has(task.state)) return undefined;
  const agent = snapshot.observations[task.id]?.agent;
  if (agent === undefined) return task.agent && ACTIVE.has(task.state) ? task.agent : undefined;
  return agent && isAgentLive(agent.status) ? agent.id : undefined;
}

function finalStatus(snapshot: Snapshot, decision: Decision): Plan["status"] {
  return decision.patch.status ?? snapshot.parsed.plan!.status;
}

const RESUMING = new Set(["start", "resume", "retry"]);

/**
 * Only a running epic merges. Its last merge may complete it in the same decision, and another
 * task failing later in the same pass may pause it (with a comment saying why); an epic paused
 * before this pass, and not resumed by a command in it, never merges.
 */
function expectMergedWhileRunning(snapshot: Snapshot, decision: Decision): void {
  const status = finalStatus(snapshot, decision);
  if (status === "running" || status === "completed") return;
  expect(status).toBe("paused");
  const resumed = snapshot.intents.some((intent) => intent.kind === "command" && RESUMING.has(intent.command.name));
  expect(snapshot.parsed.plan!.status === "running" || resumed).toBe(true);
  expect(decision.notify).toContainEqual(expect.objectContaining({ key: expect.stringMatching(/^(failed|closed|paused)/) }));
}

describe("decide on any snapshot", () => {
  it("never throws, is deterministic and leaves its input alone", () => {
    fc.assert(
      fc.property(snapshotArb, configArb, (snapshot, config) => {
        const copy = structuredClone(snapshot);
        const decision = decide(snapshot, config);
        expect(snapshot).toEqual(copy);
        expect(decide(copy, config)).toEqual(decision);
      }),
      { numRuns: 300 },
    );
  });

  it("merges only an open PR of the task's own branch, green and mergeable at the sha it sends", () => {
    fc.assert(
      fc.property(snapshotArb, configArb, (snapshot, config) => {
        const decision = decide(snapshot, config);
        for (const { effect } of decision.steps) {
          if (effect.kind !== "merge") continue;
          const task = snapshot.parsed.plan!.tasks.find((candidate) => candidate.id === effect.taskId)!;
          const pr = snapshot.observations[task.id]?.pr;
          expect(pr).toBeDefined();
          expect(pr).toMatchObject({
            number: effect.pr,
            state: "open",
            sameRepo: true,
            isDraft: false,
            mergeable: true,
            headRef: branchName(ISSUE, task.id, task.attempt),
            headSha: effect.sha,
            checksSha: effect.sha,
          });
          expect(pr!.checks === "success" || (pr!.checks === "none" && !config.requireChecks)).toBe(true);
          expect(pr!.approved || !config.requireApproval).toBe(true);
          expect(effect.method).toBe(config.mergeMethod);
          // An agent that was read must be done: it may still push. (Not read means no Cursor client.)
          const agent = snapshot.observations[task.id]?.agent;
          expect(agent && isAgentLive(agent.status)).toBeFalsy();
          expectMergedWhileRunning(snapshot, decision);
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it("launches each task at most once, on its next attempt's branch, within concurrency and budget", () => {
    fc.assert(
      fc.property(snapshotArb, configArb, (snapshot, config) => {
        const decision = decide(snapshot, config);
        const plan = snapshot.parsed.plan!;
        const launched = decision.steps.flatMap((step, index) => (step.effect.kind === "launch" ? [{ ...step.effect, index }] : []));
        if (launched.length === 0) return;
        // Running, or paused because these launches used the last of the budget.
        const status = finalStatus(snapshot, decision);
        if (status !== "running") {
          expect(status).toBe("paused");
          expect(decision.notify).toContainEqual(expect.objectContaining({ key: expect.stringMatching(/^paused-budget-/) }));
        }
        expect(new Set(launched.map((launch) => launch.taskId)).size).toBe(launched.length);
        expect(launched.length).toBeLessThanOrEqual(config.concurrency);
        expect(plan.runs + launched.length).toBeLessThanOrEqual(config.budget.agentRuns);
        for (const launch of launched) {
          const task = plan.tasks.find((candidate) => candidate.id === launch.taskId)!;
          expect(launch.attempt).toBe(task.attempt + 1);
          expect(launch.branch).toBe(branchName(ISSUE, task.id, launch.attempt));
          expect(launch.prompt).toContain(`Part of #${ISSUE}`);
          // Never beside a live agent of the same task, unless that agent is stopped first.
          const agent = liveAgent(snapshot, task);
          if (agent) {
            const stopAt = decision.steps.findIndex((step) => step.effect.kind === "stop-agent" && step.effect.agentId === agent);
            expect(stopAt).toBeGreaterThanOrEqual(0);
            expect(stopAt).toBeLessThan(launch.index);
          }
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
