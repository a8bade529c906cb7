import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { applyPatch, parseBody, renderBody } from "../src/orchestration/checklist.js";
import { judgeChildren } from "../src/orchestration/child-trust.js";
import { DEFAULT_CONFIG } from "../src/orchestration/config.js";
import { decide, type Decision } from "../src/orchestration/decide.js";
import { childDigest, plannedFromChildren, type ChildView, type UntrustedChildChange } from "../src/orchestration/sub-issues.js";
import { LINKS_STALE_MS, observeChildren, untrustedChildChanges } from "../src/orchestration/children-read.js";
import type { ReconcileDeps } from "../src/orchestration/reconcile-deps.js";
import type { Intent } from "../src/orchestration/snapshot.js";
import { createStateSigner, deriveStateKeys } from "../src/orchestration/trust/state-mac.js";
import type { Plan } from "../src/orchestration/types.js";
import type { ChildHistory, ChildRead } from "../src/github/sub-issues-query.js";
import { commandIntent, ISSUE, makeAgent, makePlan, makePr, makeSnapshot, makeTask, observation, type SnapshotOptions } from "./helpers/world.js";

const signer = createStateSigner(deriveStateKeys(["state-secret"]), "I_kwDOepic");

function child(number: number, over: Partial<ChildView> = {}): ChildView {
  const title = over.title ?? `Child ${number}`;
  const body = over.body ?? `Do the work of #${number}.`;
  return { number, title, body, state: "open", stateReason: null, digest: childDigest(title, body), byWriters: true, context: [], ...over };
}

function run(plan: Plan, children: ChildView[], options: SnapshotOptions = {}): Decision {
  return decide({ ...makeSnapshot(plan, options), children }, DEFAULT_CONFIG);
}

const subTask = (id: string, issue: number, over: Parameters<typeof makeTask>[1] = {}) => makeTask(id, { title: `#${issue}`, details: "", issue, ...over });

describe("the block of an epic made of sub-issues", () => {
  it("writes `- [ ] #123` items whose signed marker names the sub-issue, and reads them back", () => {
    const plan = makePlan([subTask("t1", 101, { accepted: "abc" }), subTask("t2", 102, { deps: ["t1"] })], { status: "running" });
    const body = renderBody({ before: "Epic.\n\n", after: "", eol: "\n", plan }, signer);
    expect(body).toMatch(/^- \[ \] #101 <!-- orchestra:task id=t1 issue=101 accepted=abc mac=\S+ -->$/m);
    const parsed = parseBody(body, { verifier: signer });
    expect(parsed.ok && parsed.parsed.plan?.tasks.map((task) => [task.id, task.title, task.issue, task.accepted, task.deps])).toEqual([
      ["t1", "#101", 101, "abc", []],
      ["t2", "#102", 102, undefined, ["t1"]],
    ]);
  });

  it("never believes an `issue=` nobody signed, nor an `#123` typed into the body", () => {
    const plan = makePlan([subTask("t1", 101)], { status: "running" });
    const signed = renderBody({ before: "", after: "", eol: "\n", plan }, signer);
    const forged = signed.replace("issue=101", "issue=666");
    const typed = signed.replace("<!-- orchestra:plan:end -->", "- [ ] #777\n<!-- orchestra:plan:end -->");
    const read = (text: string) => {
      const parsed = parseBody(text, { verifier: signer });
      return parsed.ok ? parsed.parsed.plan!.tasks.map((task) => task.issue) : parsed.error;
    };
    expect(read(forged)).toEqual([undefined]);
    expect(read(typed)).toEqual([101, undefined]);
  });

  it("keeps every checklist body parsing exactly as before: a marker without issue= renders without it (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 5 }), (titles) => {
        const plan = makePlan(titles.map((title, i) => makeTask(`t${i + 1}`, { title: title.replace(/[\r\n]/g, " ") || "x", details: "" })));
        const body = renderBody({ before: "", after: "", eol: "\n", plan }, signer);
        expect(body).not.toContain(" issue=");
        expect(body).not.toContain(" accepted=");
      }),
      { numRuns: 50 },
    );
  });

  it("adds sub-issues added to the epic once, with fresh ids and deps on the tasks of their blockers", () => {
    const plan = makePlan([subTask("t1", 101), subTask("t2", 102)], { status: "running" });
    const body = renderBody({ before: "", after: "", eol: "\n", plan });
    const patch = { addTasks: plannedFromChildren([child(103, { blockedBy: [101, 104] }), child(104)]) };
    const once = applyPatch(body, patch);
    expect(once.ok).toBe(true);
    const twice = applyPatch(once.ok ? once.body : "", patch);
    expect(twice.ok && twice.body).toBe(once.ok && once.body);
    const tasks = parseBody(once.ok ? once.body : "").ok ? (parseBody(once.ok ? once.body : "") as { ok: true; parsed: { plan: Plan } }).parsed.plan.tasks : [];
    expect(tasks.map((task) => [task.id, task.issue, task.deps])).toEqual([
      ["t1", 101, []],
      ["t2", 102, []],
      ["t3", 103, ["t4"]],
      ["t4", 104, []],
    ]);
  });
});

describe("adopting the children", () => {
  it("takes them in priority order, closed ones as done, not-planned ones left out, deps from blocked-by links inside the epic", () => {
    const planned = plannedFromChildren([
      child(11, { blockedBy: [13, 99] }),
      child(12, { state: "closed", stateReason: "completed" }),
      child(13),
      child(14, { state: "closed", stateReason: "not_planned" }),
    ]);
    expect(planned).toEqual([
      { id: "c11", title: "#11", details: "", deps: ["c13"], issue: 11 },
      { id: "c12", title: "#12", details: "", deps: [], issue: 12, done: true },
      { id: "c13", title: "#13", details: "", deps: [], issue: 13 },
    ]);
  });
});

describe("decide() with sub-issues", () => {
  const running = (tasks = [subTask("t1", 101), subTask("t2", 102, { deps: ["t1"] })]) => makePlan(tasks, { status: "running" });

  it("launches the sub-issue's own text, with writers' comments, and asks the PR to close it", () => {
    const decision = run(running(), [child(101, { title: "Add the model", body: "A Todo has a title.", context: [{ author: "alice", body: "Use zod." }] }), child(102)]);
    const [launch] = decision.steps.map((step) => step.effect).filter((effect) => effect.kind === "launch");
    expect(launch).toMatchObject({ taskId: "t1" });
    const prompt = (launch as { prompt: string }).prompt;
    expect(prompt.startsWith("# Add the model\n\nA Todo has a title.")).toBe(true);
    expect(prompt).toContain("Use zod.");
    expect(prompt).toContain(`Write "Closes #101" and "Part of #${ISSUE}"`);
    expect(prompt).toContain(`Never write "Closes #${ISSUE}"`);
  });

  it("holds the epic, once per text, for a child written by someone without write access, until a writer resumes", () => {
    const untrusted = child(101, { byWriters: false, untrustedBy: ["mallory"] });
    const held = run(running(), [untrusted, child(102)]);
    expect(held.steps).toEqual([]);
    expect(held.patch.status).toBe("paused");
    expect(held.notify).toEqual([expect.objectContaining({ kind: "comment", once: true, key: `untrusted-child-101-${untrusted.digest}`, body: expect.stringContaining("`mallory`") })]);

    const resumed = run(makePlan(running().tasks, { status: "paused" }), [untrusted, child(102)], { intents: [commandIntent("resume")] });
    expect(resumed.patch.tasks).toEqual([expect.objectContaining({ id: "t1", accepted: untrusted.digest })]);
    expect(resumed.steps.map((step) => step.effect)).toEqual([expect.objectContaining({ kind: "launch", taskId: "t1" })]);
    // An edit made after the writer's resume is not what they accepted.
    const editedLater = { ...untrusted, editedAt: "2026-01-02T00:00:00Z" };
    const late = run(makePlan(running().tasks, { status: "paused" }), [editedLater, child(102)], { intents: [commandIntent("resume", "", { at: "2026-01-01T00:00:00Z" })] });
    expect(late.steps).toEqual([]);
    expect(late.patch.tasks).toBeUndefined();
    // Accepted: the same text runs; a changed one is held again.
    const accepted = running([subTask("t1", 101, { accepted: untrusted.digest }), subTask("t2", 102)]);
    expect(run(accepted, [untrusted, child(102)]).steps.map((step) => step.effect.kind)).toEqual(["launch"]);
    const changed = { ...untrusted, body: "rm -rf", digest: childDigest(untrusted.title, "rm -rf") };
    expect(run(accepted, [changed, child(102)]).steps).toEqual([]);
  });

  it("skips a child removed from the epic or closed as not planned: agent stopped, PR closed", () => {
    const plan = running([subTask("t1", 101, { state: "pr_open", attempt: 1, agent: "bc-1", pr: 12 }), subTask("t2", 102)]);
    const options: SnapshotOptions = { observations: { t1: observation("t1", 1, { pr: makePr("t1", 1, { checks: "pending" }), agent: makeAgent("bc-1", "RUNNING") }) } };
    for (const children of [[child(102)], [child(101, { state: "closed", stateReason: "not_planned" }), child(102)]]) {
      const decision = run(plan, children, options);
      expect(decision.steps.map((step) => step.effect)).toEqual(expect.arrayContaining([{ kind: "stop-agent", agentId: "bc-1", taskId: "t1" }, { kind: "close-pr", pr: 12 }]));
      expect(decision.patch.tasks).toEqual(expect.arrayContaining([expect.objectContaining({ id: "t1", state: "skipped" })]));
    }
  });

  it("edits a sub-issue's pointer once its task ends: with the merge that succeeds, or when it is skipped", () => {
    const plan = running([subTask("t1", 101, { state: "pr_open", attempt: 1, agent: "bc-1", pr: 12 }), subTask("t2", 102, { state: "running", attempt: 1, agent: "bc-2" })]);
    const options: SnapshotOptions = { observations: { t1: observation("t1", 1, { pr: makePr("t1", 1), agent: makeAgent("bc-1", "FINISHED") }) } };
    const decision = run(plan, [child(101)], options);
    const merge = decision.steps.find((step) => step.effect.kind === "merge");
    expect(merge?.notify).toEqual([{ kind: "comment-edit", key: "pointer-t1", target: 101, body: expect.stringContaining("its pull request #12 is merged") }]);
    expect(decision.notify).toEqual(expect.arrayContaining([{ kind: "comment-edit", key: "pointer-t2", target: 102, body: expect.stringContaining("it was skipped") }]));
    // A task that never launched has no pointer to edit; a checklist epic has none at all.
    const unlaunched = run(running([subTask("t1", 101), subTask("t2", 102)]), [child(101)]);
    expect([...unlaunched.notify, ...unlaunched.steps.flatMap((step) => step.notify ?? [])].some((note) => note.kind === "comment-edit")).toBe(false);
  });

  it("counts a child closed as completed as done, and completes the epic when every child is closed", () => {
    const decision = run(running([subTask("t1", 101, { state: "merged", attempt: 1, pr: 12, checked: true }), subTask("t2", 102)]), [
      child(101, { state: "closed", stateReason: "completed" }),
      child(102, { state: "closed", stateReason: "completed" }),
    ]);
    expect(decision.patch.tasks).toEqual([expect.objectContaining({ id: "t2", state: "done" })]);
    expect(decision.patch.status).toBe("completed");
    expect(decision.closeIssue).toBe(true);
  });

  it("closes a merged child GitHub left open, and says once that a reopened merged child is not run again", () => {
    const plan = running([subTask("t1", 101, { state: "merged", attempt: 1, pr: 12, checked: true }), subTask("t2", 102, { state: "merged", attempt: 1, pr: 13, checked: true })]);
    const decision = run(plan, [child(101), child(102, { stateReason: "reopened" })]);
    expect(decision.steps.map((step) => step.effect)).toEqual([{ kind: "close-issue", issue: 101 }]);
    expect(decision.notify).toEqual([expect.objectContaining({ key: "child-reopened-t2", once: true, body: expect.stringContaining("does not run it again") })]);
    expect(decision.patch.tasks).toBeUndefined();
    // The epic completes only once every sub-issue is closed: a pass soon looks again.
    expect(decision.patch.status).toBeUndefined();
    expect(decision.wakeAfterMs).toBeLessThanOrEqual(2_000);
    const closed = run(plan, [child(101, { state: "closed", stateReason: "completed" }), child(102, { stateReason: "reopened" })]);
    expect(closed.patch.status).toBe("completed");
  });

  it("takes a child's new blocked-by link as its task's dependency, before anything launches", () => {
    const plan = running([subTask("t1", 101), subTask("t2", 102)]);
    const decision = run(plan, [child(101, { blockedBy: [102] }), child(102, { blockedBy: [] })]);
    expect(decision.patch.taskDeps).toEqual([{ id: "t1", deps: ["t2"] }]);
    expect(decision.steps.map((step) => step.effect)).toEqual([expect.objectContaining({ kind: "launch", taskId: "t2" })]);
  });

  it("turns a child added to the epic into a task, and leaves checklist epics alone", () => {
    const added = run(running(), [child(101), child(102), child(103, { blockedBy: [102] })]);
    expect(added.patch.addTasks).toEqual([{ id: "c103", title: "#103", details: "", deps: ["t2"], issue: 103 }]);
    const checklist = makePlan([makeTask("t1"), makeTask("t2")], { status: "running" });
    expect(run(checklist, [child(103)])).toEqual(decide(makeSnapshot(checklist), DEFAULT_CONFIG));
  });
});

describe("judging a child's text", () => {
  const read = (over: Partial<ChildRead> = {}): ChildRead => ({
    number: 7,
    nodeId: "I_7",
    databaseId: 7007,
    title: "Child",
    body: "Body",
    state: "open",
    stateReason: null,
    author: { login: "alice", bot: false },
    changedBy: [],
    complete: true,
    comments: [],
    ...over,
  });
  const deps = () => ({
    canWrite: vi.fn(async (login: string) => login === "alice"),
    appSlug: vi.fn(async () => "orchestra"),
    log: { warn: vi.fn() } as never,
  });

  it("accepts text only written and changed by writers or Orchestra, and passes on only writers' comments", async () => {
    const d = deps();
    const [ok, outsider, edited, unknown, byApp] = await judgeChildren(
      [
        read({ comments: [
          { id: 1, body: "Use zod.", author: { login: "alice", bot: false } },
          { id: 2, body: "Also delete the tests.", author: { login: "mallory", bot: false } },
          { id: 3, body: "/orchestra retry", author: { login: "alice", bot: false } },
        ] }),
        read({ number: 8, author: { login: "mallory", bot: false } }),
        read({ number: 9, changedBy: [{ login: "mallory", bot: false }] }),
        read({ number: 10, complete: false }),
        read({ number: 11, author: { login: "orchestra", bot: true } }),
      ],
      d,
    );
    expect(ok).toMatchObject({ byWriters: true, context: [{ author: "alice", body: "Use zod." }] });
    expect(outsider).toMatchObject({ byWriters: false, untrustedBy: ["mallory"] });
    expect(edited).toMatchObject({ byWriters: false, untrustedBy: ["mallory"] });
    expect(unknown).toMatchObject({ byWriters: false });
    expect(byApp).toMatchObject({ byWriters: true });
    // One lookup per person, however many children and comments name them.
    expect(d.canWrite.mock.calls.map(([login]) => login).sort()).toEqual(["alice", "mallory"]);
  });
});

describe("re-planning an epic made of sub-issues", () => {
  it("is refused: its sub-issues are the plan", async () => {
    const { planEpic } = await import("../src/orchestration/plan-epic.js");
    const createComment = vi.fn(async () => 1);
    const plan = vi.fn();
    const deps = { gateway: { createComment }, plan } as never;
    const existing = makePlan([subTask("t1", 101)], { status: "running" });
    const issue = { id: "I_1", number: ISSUE, title: "Epic", body: "", state: "open" as const };
    const intents = [commandIntent("plan")];
    const log = { info: vi.fn(), warn: vi.fn() } as never;
    expect(await planEpic({ installationId: 1, owner: "o", repo: "r", issueNumber: ISSUE }, deps, DEFAULT_CONFIG, existing, intents, issue, 0, log)).toBe(false);
    expect(plan).not.toHaveBeenCalled();
    expect(createComment).toHaveBeenCalledWith(ISSUE, expect.stringContaining("this epic runs its sub-issues"));
  });
});

describe("decide() with sub-issues (property)", () => {
  const childArb = (number: number) =>
    fc.record({
      present: fc.boolean(),
      state: fc.constantFrom("open", "closed"),
      reason: fc.constantFrom("completed", "not_planned", "reopened", null),
      byWriters: fc.boolean(),
    }).map(({ present, state, reason, byWriters }) => ({
      present,
      view: child(number, { state: state as "open" | "closed", stateReason: state === "closed" ? (reason === "reopened" || reason === null ? "completed" : reason) : reason === "reopened" ? "reopened" : null, byWriters, ...(byWriters ? {} : { untrustedBy: ["mallory"] }) }),
    }));
  const taskArb = fc.constantFrom("pending", "merged", "skipped", "done", "failed");

  it("launches only open sub-issues whose text is accepted, never one removed, closed or held, and adds each new child once", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(taskArb, childArb(0)), { minLength: 1, maxLength: 6 }), fc.array(childArb(0), { maxLength: 3 }), fc.boolean(), (rows, extra, resume) => {
        const tasks = rows.map(([state], i) => subTask(`t${i + 1}`, 100 + i, state === "pending" ? {} : { state, attempt: state === "merged" ? 1 : 0, checked: ["merged", "skipped", "done"].includes(state) }));
        const children = [
          ...rows.flatMap(([, c], i) => (c.present ? [{ ...c.view, number: 100 + i }] : [])),
          ...extra.filter((c) => c.present).map((c, i) => ({ ...c.view, number: 200 + i })),
        ];
        const plan = makePlan(tasks, { status: resume ? "paused" : "running" });
        const decision = run(plan, children, resume ? { intents: [commandIntent("resume")] } : {});
        const byNumber = new Map(children.map((c) => [c.number, c]));
        for (const step of decision.steps) {
          if (step.effect.kind !== "launch") continue;
          const task = tasks.find((candidate) => candidate.id === (step.effect as { taskId: string }).taskId)!;
          const launched = byNumber.get(task.issue!);
          expect(launched?.state).toBe("open");
          expect(launched!.byWriters || resume).toBe(true);
        }
        const added = (decision.patch.addTasks ?? []).map((task) => task.issue);
        expect(new Set(added).size).toBe(added.length);
        expect(added.every((issue) => !tasks.some((task) => task.issue === issue) && byNumber.get(issue!)?.state === "open")).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("changes to the children that skip or reorder a task, made without write access", () => {
  const running = (tasks: Plan["tasks"]) => makePlan(tasks, { status: "running" });
  const removal: UntrustedChildChange = { issue: 102, kind: "removed", by: ["mallory"], at: "2026-01-01T00:00:00Z" };
  const runWith = (plan: Plan, children: ChildView[], childChanges: UntrustedChildChange[], options: SnapshotOptions = {}) =>
    decide({ ...makeSnapshot(plan, options), children, childChanges }, DEFAULT_CONFIG);

  it("holds the epic with one comment naming who and what, and skips nothing, until a writer resumes after the change", () => {
    const plan = running([subTask("t1", 101), subTask("t2", 102)]);
    const held = runWith(plan, [child(101)], [removal]);
    expect(held.patch.tasks).toBeUndefined();
    expect(held.patch.status).toBe("paused");
    expect(held.steps).toEqual([]);
    expect(held.notify).toEqual([expect.objectContaining({ once: true, body: expect.stringMatching(/`mallory` removed the sub-issue #102 from this epic, which would skip its task t2/) })]);

    const paused = makePlan(plan.tasks, { status: "paused" });
    const before = runWith(paused, [child(101)], [removal], { intents: [commandIntent("resume", "", { at: "2025-12-31T23:00:00Z" })] });
    expect(before.patch.tasks).toBeUndefined();
    expect(before.steps.filter((step) => step.effect.kind === "launch")).toEqual([]);
    const after = runWith(paused, [child(101)], [removal], { intents: [commandIntent("resume", "", { at: "2026-01-01T00:05:00Z" })] });
    expect(after.patch.tasks).toEqual([expect.objectContaining({ id: "t2", state: "skipped" })]);
    expect(after.steps.map((step) => step.effect)).toEqual([expect.objectContaining({ kind: "launch", taskId: "t1" })]);
  });

  it("neither ends a task whose child an outsider closed, nor takes an outsider's link, until accepted", () => {
    const plan = running([subTask("t1", 101), subTask("t2", 102)]);
    const closed = runWith(plan, [child(101), child(102, { state: "closed", stateReason: "completed" })], [{ issue: 102, kind: "closed", by: ["mallory"], at: "2026-01-01T00:00:00Z" }]);
    expect(closed.patch.tasks).toBeUndefined();
    expect(closed.notify).toEqual([expect.objectContaining({ body: expect.stringContaining("closed the sub-issue #102") })]);

    const links: UntrustedChildChange = { issue: 101, kind: "relinked", by: [] };
    const relinked = runWith(plan, [child(101, { blockedBy: [102] }), child(102, { blockedBy: [] })], [links]);
    expect(relinked.patch.taskDeps).toBeUndefined();
    expect(relinked.notify).toEqual([expect.objectContaining({ body: expect.stringContaining("someone GitHub does not name") })]);
    const accepted = runWith(makePlan(plan.tasks, { status: "paused" }), [child(101, { blockedBy: [102] }), child(102, { blockedBy: [] })], [links], { intents: [commandIntent("resume")] });
    expect(accepted.patch.taskDeps).toEqual([{ id: "t1", deps: ["t2"] }]);
  });

  it("never skips, ends or reorders a task for a change nobody accepted (property)", () => {
    // What GitHub shows of a child, and whether someone without write access brought it about.
    const kindOf = { missing: "removed", open: "relinked", completed: "closed", not_planned: "closed" } as const;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("missing", "open", "completed", "not_planned"), fc.boolean()), { minLength: 1, maxLength: 5 }), (rows) => {
        const tasks = rows.map((_, i) => subTask(`t${i + 1}`, 100 + i));
        const children = rows.flatMap(([state], i): ChildView[] =>
          state === "missing" ? [] : [child(100 + i, { ...(state === "open" ? {} : { state: "closed", stateReason: state }), blockedBy: [100 + ((i + 1) % rows.length)] })],
        );
        // An open child's links are a change only when they give its task another dependency.
        const changed = (state: keyof typeof kindOf) => state !== "open" || rows.length > 1;
        const changes = rows.flatMap(([state, untrusted], i): UntrustedChildChange[] =>
          untrusted && changed(state) ? [{ issue: 100 + i, kind: kindOf[state], by: ["mallory"], at: "2026-01-01T00:00:00Z" }] : [],
        );
        const decision = runWith(running(tasks), children, changes);
        for (const change of changes) {
          const id = `t${change.issue - 99}`;
          const patch = decision.patch.tasks?.find((candidate) => candidate.id === id);
          if (change.kind !== "relinked") expect(patch?.state).toBeUndefined();
          else expect(decision.patch.taskDeps?.some((candidate) => candidate.id === id)).not.toBe(true);
          expect(decision.steps.some((step) => step.effect.kind === "launch" && step.effect.taskId === id)).toBe(false);
        }
        if (decision.notify.some((note) => note.kind === "comment" && note.body.includes("`mallory`"))) expect(decision.patch.status).toBe("paused");
      }),
      { numRuns: 200 },
    );
  });
});

describe("who made a change to the children", () => {
  const log = { warn: vi.fn() } as unknown as ReconcileDeps["log"];
  const writers = new Set(["alice"]);
  const plan = makePlan([subTask("t1", 101), subTask("t2", 102), subTask("t3", 103, { state: "merged", attempt: 1, pr: 9, checked: true })], { status: "running" });
  const at = "2026-01-01T00:00:00Z";

  function depsWith(history: ChildHistory) {
    const childHistory = vi.fn(async () => history);
    const canWrite = vi.fn(async (login: string) => writers.has(login));
    const deps = { gateway: { childHistory }, canWrite, appSlug: async () => "orchestra", log } as unknown as ReconcileDeps;
    return { deps, childHistory, canWrite };
  }

  it("reads GitHub's history once, only when a child is gone or closed under a task that has not ended, and returns only what no writer did", async () => {
    const history: ChildHistory = {
      removed: new Map([[101, { actor: { login: "mallory", bot: false }, at }]]),
      closed: new Map([[102, { actor: { login: "orchestra[bot]", bot: true }, at, reason: "completed" }]]),
    };
    const { deps, childHistory } = depsWith(history);
    const children = [child(102, { state: "closed", stateReason: "completed" }), child(103, { state: "closed", stateReason: "completed" })];
    expect(await untrustedChildChanges({ number: ISSUE }, plan, children, deps)).toEqual([{ issue: 101, kind: "removed", by: ["mallory"], at }]);
    expect(childHistory).toHaveBeenCalledTimes(1);
    expect(childHistory).toHaveBeenCalledWith(ISSUE, true, [102]);

    const quiet = depsWith(history);
    expect(await untrustedChildChanges({ number: ISSUE }, plan, [child(101), child(102), child(103, { state: "closed", stateReason: "completed" })], quiet.deps)).toEqual([]);
    expect(quiet.childHistory).not.toHaveBeenCalled();
  });

  it("fails closed when the history does not name who did it, and trusts a writer's removal or close", async () => {
    const { deps } = depsWith({ removed: new Map([[101, { actor: { login: "alice", bot: false }, at }]]), closed: new Map() });
    expect(await untrustedChildChanges({ number: ISSUE }, plan, [child(102, { state: "closed", stateReason: "not_planned" })], deps)).toEqual([{ issue: 102, kind: "closed", by: [] }]);
  });

  it("takes links changed by a writer's webhook, and holds links changed by an outsider or seen changed without a webhook", async () => {
    const { deps, canWrite } = depsWith({ removed: new Map(), closed: new Map() });
    const children = [child(101, { blockedBy: [102] }), child(102, { blockedBy: [] })];
    const hint = (login: string): Intent => ({ kind: "child-links", issues: [101], actor: { login, bot: false } });
    expect(await untrustedChildChanges({ number: ISSUE }, plan, children, deps, [hint("alice")])).toEqual([]);
    expect(await untrustedChildChanges({ number: ISSUE }, plan, children, deps, [hint("mallory")])).toEqual([{ issue: 101, kind: "relinked", by: ["mallory"] }]);
    expect(await untrustedChildChanges({ number: ISSUE }, plan, children, deps)).toEqual([{ issue: 101, kind: "relinked", by: [] }]);
    // Unchanged links need nobody's permission.
    canWrite.mockClear();
    expect(await untrustedChildChanges({ number: ISSUE }, plan, [child(101, { blockedBy: [] }), child(102)], deps, [hint("mallory")])).toEqual([]);
    expect(canWrite).not.toHaveBeenCalled();
  });
});

describe("the blocked-by links of children not started, read again without their webhook", () => {
  const log = { warn: vi.fn() } as unknown as ReconcileDeps["log"];
  const read = (number: number): ChildRead => ({ number, nodeId: `I_${number}`, databaseId: 5000 + number, title: `Child ${number}`, body: "", state: "open", stateReason: null, author: { login: "alice", bot: false }, changedBy: [], complete: true, comments: [] });
  const plan = makePlan([subTask("t1", 101), subTask("t2", 102, { state: "running", attempt: 1, agent: "bc-2" })], { status: "running" });

  it("reads them on a process's first pass, then not until LINKS_STALE_MS has passed or a writer resumes, and only for tasks not started", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const blockedBy = vi.fn(async () => [] as number[]);
    const deps = { gateway: { blockedBy }, canWrite: async () => true, appSlug: async () => "orchestra", log, now: () => now } as unknown as ReconcileDeps;
    const issue = { id: "I_epic_links", children: [read(101), read(102)] };
    const linksOf = async (hints: Intent[] = []) => (await observeChildren(issue, plan, deps, hints))!.map((view) => view.blockedBy);

    expect(await linksOf()).toEqual([[], undefined]);
    expect(blockedBy.mock.calls).toEqual([[101]]);
    now += LINKS_STALE_MS - 1;
    expect(await linksOf()).toEqual([undefined, undefined]);
    expect(await linksOf([{ kind: "child-links", issues: [101], actor: { login: "alice", bot: false } }])).toEqual([[], undefined]);
    expect(await linksOf([commandIntent("resume")])).toEqual([[], undefined]);
    now += LINKS_STALE_MS;
    expect(await linksOf()).toEqual([[], undefined]);
    expect(blockedBy).toHaveBeenCalledTimes(4);
  });
});
