import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMMAND_NAMES } from "../src/orchestration/commands.js";
import { DEFAULT_CONFIG, type OrchestraConfig } from "../src/orchestration/config.js";
import { decide, isAgentLive, type Decision } from "../src/orchestration/decide.js";
import { branchName } from "../src/orchestration/naming.js";
import type { AgentView, Intent, PullRequestView, Snapshot, TaskObservation } from "../src/orchestration/snapshot.js";
import { EPIC_STATUSES, TASK_STATES, type Plan, type Task } from "../src/orchestration/types.js";
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
    }),
  )
  .map(({ deps, scenarios, concurrency }) => {
    const plan = makePlan(
      deps.map((taskDeps, index) => makeTask(`t${index + 1}`, { deps: taskDeps })),
      { status: "planned" },
    );
    const byTask: Record<string, TaskScenario> = {};
    scenarios.forEach((scenario, index) => (byTask[`t${index + 1}`] = scenario));
    return { plan, scenarios: byTask, config: { ...DEFAULT_CONFIG, concurrency } satisfies OrchestraConfig };
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
function cleanRun(plan: Plan, scenarios: Record<string, TaskScenario>, config: OrchestraConfig): World {
  const world = new World(plan, scenarios);
  reconcileOnce(world, config, { intents: [START] });
  expect(settle(world, config)).toBe(true);
  return world;
}

function scheduledRun(
  plan: Plan,
  scenarios: Record<string, TaskScenario>,
  config: OrchestraConfig,
  schedule: { startTwice: boolean; actions: Action[] },
): { world: World; settled: boolean } {
  const world = new World(plan, scenarios, { humanPushes: 2 });
  reconcileOnce(world, config, { intents: [START] });
  if (schedule.startTwice) reconcileOnce(world, config, { intents: [START] });
  let late = 0;
  for (const action of schedule.actions) {
    switch (action.kind) {
      case "event": {
        const events = world.events();
        const event = events[action.pick % Math.max(1, events.length)];
        if (!event) break;
        event.apply();
        if (action.webhook === "now") reconcileOnce(world, config);
        if (action.webhook === "twice") reconcileOnce(world, config) && reconcileOnce(world, config);
        if (action.webhook === "late") late += 1;
        break;
      }
      case "late-webhook":
        if (late > 0) {
          late -= 1;
          reconcileOnce(world, config);
        }
        break;
      case "race":
        reconcileOnce(world, config, { race: action.pick });
        break;
      case "fail":
        reconcileOnce(world, config, { failure: action.failure });
        break;
    }
  }
  // The periodic resync: reconcile until nothing changes, the world moving on meanwhile.
  return { world, settled: settle(world, config) };
}

/** What must match even when an answer was lost: bookkeeping counters may then differ. */
function outcome(plan: Plan) {
  return {
    status: plan.status,
    tasks: plan.tasks.map(({ id, state, checked, attempt, pr, deps }) => ({ id, state, checked, attempt, pr, deps })),
  };
}

const RUNS = { numRuns: 200 };

describe("decide in a simulated world", () => {
  it("(a) duplicated, reordered, dropped webhooks and failing calls converge to the clean run", () => {
    fc.assert(
      fc.property(epicArb, scheduleArb, ({ plan, scenarios, config }, schedule) => {
        const clean = cleanRun(plan, scenarios, config);
        const { world, settled } = scheduledRun(plan, scenarios, config, schedule);
        expect(settled).toBe(true);

        expect(world.plan.status).toBe("completed");
        expect(world.plan.tasks.every((task) => task.state === "merged" && task.checked)).toBe(true);
        expect(world.issueClosed).toBe(1);
        // Each task merged exactly once, and said so once.
        expect(world.merges.map((merge) => merge.taskId).sort()).toEqual(plan.tasks.map((task) => task.id).sort());
        for (const task of plan.tasks) {
          expect(world.comments.filter((comment) => comment.key === `merged-${task.id}`)).toHaveLength(1);
        }
        // Nothing in these scenarios is a failure a person must hear about.
        expect(world.comments.filter((comment) => /^(failed|closed|paused)/.test(comment.key))).toEqual([]);

        expect(clean.plan.status).toBe("completed");
        if (world.lostResponses === 0) expect(world.plan).toEqual(clean.plan);
        else expect(outcome(world.plan)).toEqual(outcome(clean.plan));
      }),
      RUNS,
    );
  });

  it("(b) never two live agents for one task, (c) every merge at a sha whose checks are green", () => {
    fc.assert(
      fc.property(epicArb, scheduleArb, ({ plan, scenarios, config }, schedule) => {
        const { world } = scheduledRun(plan, scenarios, config, schedule);
        // The world records both the moment they happen: a second live agent at launch or
        // follow-up, a merge sent for a sha whose checks are not green.
        expect(world.violations).toEqual([]);
        for (const merge of world.merges) expect(world.checks.get(merge.sha)).toBe("success");
      }),
      RUNS,
    );
  });
});

// --- any snapshot ---------------------------------------------------------------------------

const IDS = ["t1", "t2", "t3", "t4"] as const;
const SHAS = ["a".repeat(40), "b".repeat(40)] as const;

const text = fc.oneof(fc.constantFrom("", "Task", "t1", "2", "#3", "add", "/orchestra stop", "<!-- x -->"), fc.string({ maxLength: 20 }));

const taskArb = (id: string): fc.Arbitrary<Task> =>
  fc
    .record({
      title: fc.oneof(fc.constant(`Task ${id}`), text),
      details: text,
      checked: fc.boolean(),
      state: fc.constantFrom(...TASK_STATES),
      attempt: fc.integer({ min: 0, max: 4 }),
      agent: fc.option(fc.constantFrom("bc-1", "bc-2", `bc-${id}`), { nil: undefined }),
      pr: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
      deps: fc.subarray([...IDS.filter((other) => other !== id), "t9"]),
      fixes: fc.integer({ min: 0, max: 3 }),
      followup: fc.option(fc.constantFrom(`ci:${SHAS[0]}`, `update:${SHAS[0]}`, `rebase:${SHAS[0]}`, "review:7", "x"), { nil: undefined }),
      reason: fc.option(text, { nil: undefined }),
    })
    .map((fields) => ({ id, ...fields }));

const prArb = fc.record({
  number: fc.integer({ min: 1, max: 20 }),
  state: fc.constantFrom("open", "open", "closed", "merged") as fc.Arbitrary<PullRequestView["state"]>,
  ownBranch: fc.boolean(),
  headSha: fc.constantFrom(...SHAS),
  sameRepo: fc.boolean(),
  isDraft: fc.boolean(),
  mergeable: fc.constantFrom(true, true, false, null),
  checks: fc.constantFrom("success", "success", "pending", "failure", "none") as fc.Arbitrary<PullRequestView["checks"]>,
  checksSha: fc.constantFrom(...SHAS),
  failingChecks: fc.array(fc.record({ name: text, summary: text }), { maxLength: 2 }),
  approved: fc.boolean(),
  changesRequested: fc.option(fc.record({ id: fc.constantFrom(7, 8), author: text, text }), { nil: undefined }),
});

const agentArb: fc.Arbitrary<AgentView | null | undefined> = fc.option(
  fc.option(
    fc.record({
      id: fc.constantFrom("bc-1", "bc-2", "bc-9"),
      status: fc.oneof(fc.constantFrom("CREATING", "RUNNING", "FINISHED", "ERROR", "EXPIRED", "finished"), fc.string({ maxLength: 8 })),
      prUrl: fc.option(fc.constant("https://github.com/acme/shop/pull/1"), { nil: undefined }),
      summary: fc.option(text, { nil: undefined }),
    }),
    { nil: null },
  ),
  { nil: undefined },
);

const intentArb: fc.Arbitrary<Intent> = fc.oneof(
  fc
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
  fc.record({ kind: fc.constant("stop-agents" as const), agentIds: fc.array(fc.constantFrom("bc-1", "bc-9"), { maxLength: 2 }) }),
  fc.constant({ kind: "plan" as const, actor: "octocat" }),
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
    status: fc.constantFrom(...EPIC_STATUSES),
    runs: fc.integer({ min: 0, max: 12 }),
    observed: fc.tuple(...IDS.map(() => fc.option(fc.record({ pr: fc.option(prArb, { nil: undefined }), agent: agentArb }), { nil: undefined }))),
    intents: fc.array(intentArb, { maxLength: 3 }),
    issueState: fc.constantFrom("open", "open", "closed") as fc.Arbitrary<"open" | "closed">,
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
        const { ownBranch, ...pr } = seen.pr;
        observation.pr = { ...pr, url: `https://github.com/acme/shop/pull/${pr.number}`, headRef: ownBranch ? branch : "feature/x" };
      }
      if (seen.agent !== undefined) observation.agent = seen.agent;
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
        for (const step of decision.steps) {
          if (step.effect.kind !== "merge") continue;
          const task = snapshot.parsed.plan!.tasks.find((candidate) => candidate.id === step.effect.taskId)!;
          const pr = snapshot.observations[task.id]?.pr;
          expect(pr).toBeDefined();
          expect(pr).toMatchObject({
            number: step.effect.pr,
            state: "open",
            sameRepo: true,
            isDraft: false,
            mergeable: true,
            headRef: branchName(ISSUE, task.id, task.attempt),
            headSha: step.effect.sha,
            checksSha: step.effect.sha,
          });
          expect(pr!.checks === "success" || (pr!.checks === "none" && !config.requireChecks)).toBe(true);
          expect(pr!.approved || !config.requireApproval).toBe(true);
          expect(step.effect.method).toBe(config.mergeMethod);
          expect(liveAgent(snapshot, task)).toBeUndefined();
          expect(finalStatus(snapshot, decision)).toBe("running");
        }
      }),
      { numRuns: 500 },
    );
  });

  it("launches each task at most once, on its next attempt's branch, within concurrency and budget", () => {
    fc.assert(
      fc.property(snapshotArb, configArb, (snapshot, config) => {
        const decision = decide(snapshot, config);
        const plan = snapshot.parsed.plan!;
        const launched = decision.steps.flatMap((step, index) => (step.effect.kind === "launch" ? [{ ...step.effect, index }] : []));
        if (launched.length === 0) return;
        expect(finalStatus(snapshot, decision)).toBe("running");
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
          // Known bug, see "a pr_open task whose PR vanished" in decide.test.ts: drop this once fixed.
          const knownBug = task.state === "pr_open" && !snapshot.observations[task.id]?.pr;
          if (agent && !knownBug) {
            const stopAt = decision.steps.findIndex((step) => step.effect.kind === "stop-agent" && step.effect.agentId === agent);
            expect(stopAt).toBeGreaterThanOrEqual(0);
            expect(stopAt).toBeLessThan(launch.index);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
