import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TranscriptEvent } from "../../sandbox/index.js";
import { agentLaunches, botComments, type E2E, E2E_OPTIONS, isDone, pullMerges, pullOpenings, startE2E, taskLines, taskMeta } from "./harness.js";

/**
 * An epic made of four existing sub-issues, the first blocked by the third: adopted as the plan
 * without the LLM, run in dependency order, each agent's PR closing its sub-issue, the epic
 * closed once every child is.
 */
const CHILDREN = [
  { title: "Add a REST API", body: "Expose the todos over HTTP: GET and POST /todos." },
  { title: "Add a README section", body: "Explain how to run the app." },
  { title: "Add a Todo model", body: "A Todo has a title and a done flag." },
  { title: "Add a CLI", body: "List todos from the command line." },
];

describe("end to end: an epic made of sub-issues", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  let children: number[] = [];

  beforeAll(async () => {
    e2e = await startE2E({
      body: "A small todo application; the work is in the sub-issues.\n",
      beforeLabel: (sandbox, repo, epic) => {
        children = CHILDREN.map((child) => sandbox.github.openIssue(repo, "alice", child));
        for (const child of children) sandbox.github.addSubIssue(repo, epic, child, "alice");
        // The REST API needs the model.
        sandbox.github.addBlockedBy(repo, children[0]!, children[2]!, "alice");
      },
    });
    await e2e.until(() => isDone(e2e!), "the epic to close", 30_000);
  }, 60_000);
  afterAll(async () => e2e?.stop());

  it("adopts the children as the plan, in their order, with the blocked-by link, without the LLM", () => {
    const body = e2e!.body();
    expect(taskLines(body).map((line) => line.replace(/ <!--.*$/, ""))).toEqual(children.map((child) => `- [x] #${child}`));
    expect(taskMeta(body, "t1")).toMatchObject({ issue: String(children[0]), deps: "t3" });
    expect(e2e!.sandbox.openai.requests).toEqual([]);
    // The status comment links each sub-issue (its number is Orchestra's own, not a typed reference).
    const status = botComments(e2e!).find((comment) => comment.body.includes("<!-- orchestra:status -->"))!;
    for (const child of children) expect(status.body).toContain(`| #${child} |`);
  });

  it("runs them in dependency order to four merged PRs that each close their sub-issue", () => {
    const { github } = e2e!.sandbox;
    const openings = pullOpenings(e2e!);
    const merges = pullMerges(e2e!);
    expect(merges).toHaveLength(4);
    const branchOf = (id: string) => `orchestra/${e2e!.epic}-${id}-a1`;
    const mergedAt = (id: string) => merges.find((merge) => merge.pr === openings.find((opening) => opening.head === branchOf(id))?.pr)!.seq;
    const launchedAt = (id: string) => agentLaunches(e2e!).find((launch) => launch.branch === branchOf(id))!.seq;
    // t1 (the API) waited for t3 (the model); t2 did not wait for t1.
    expect(launchedAt("t1")).toBeGreaterThan(mergedAt("t3"));
    expect(launchedAt("t2")).toBeLessThan(launchedAt("t1"));

    for (const [index, child] of children.entries()) {
      expect(github.issue(e2e!.repo, child), `#${child}`).toMatchObject({ state: "closed", stateReason: "completed" });
      const pull = github.pulls(e2e!.repo).find((candidate) => candidate.head === branchOf(`t${index + 1}`));
      expect(pull?.merged).toBe(true);
      expect(pull?.body).toContain(`Closes #${child}`);
      expect(pull?.body).toContain(`Part of #${e2e!.epic}`);
      expect(pull?.title).toBe(CHILDREN[index]!.title);
    }
    expect(github.issue(e2e!.repo, e2e!.epic).state).toBe("closed");
    expect(github.validationErrors).toEqual([]);
    // Children closed by the merges of their own tasks need nobody's history read.
    expect(github.requestCount("graphql OrchestraChildHistory")).toBe(0);
  });

  it("gave each agent its sub-issue's text as the task", () => {
    const prompts = e2e!.sandbox.cursor.agents.map((agent) => agent.prompt);
    for (const child of CHILDREN) expect(prompts.some((prompt) => prompt.startsWith(`# ${child.title}\n\n${child.body}`))).toBe(true);
  });
});

/** Kills the app (SIGKILL) the moment the fakes record an event that `when` picks, once. */
function killWhen(e2e: E2E, when: (event: TranscriptEvent) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const listener = (event: TranscriptEvent) => {
      if (!when(event)) return;
      e2e.sandbox.off("event", listener);
      void e2e.kill().then(() => resolve());
    };
    e2e.sandbox.on("event", listener);
  });
}

describe("end to end: plan.as sub-issues, the app killed while it creates them", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  beforeAll(async () => {
    e2e = await startE2E({
      config: "plan:\n  as: sub-issues\n",
      bullets: ["Add a Todo model", "Add a store, after the model", "Add a README section"],
      tasks: 3,
      start: false,
    });
    // The plan is in the block; the first sub-issue is created, and the app dies at once.
    const killed = killWhen(e2e, (event) => event.kind === "issue" && /^orchestra\[bot\] opened #/.test(event.text));
    await killed;
    await e2e.restart();
    await e2e.until(() => taskLines(e2e!.body()).length === 3 && taskLines(e2e!.body()).every((line) => /^- \[ \] #\d+ /.test(line)), "the tasks as sub-issues");
    e2e.comment("/orchestra start");
    await e2e.until(() => isDone(e2e!), "the epic to close", 30_000);
  }, 70_000);
  afterAll(async () => e2e?.stop());

  it("creates each task's sub-issue once, labelled, blocked by its dependency's, and runs them to closed children", () => {
    const { github } = e2e!.sandbox;
    const children = github.subIssues(e2e!.repo, e2e!.epic);
    expect(children).toHaveLength(3);
    const mine = github.issues(e2e!.repo).filter((issue) => issue.author === "orchestra[bot]" && !issue.isPull);
    expect(mine.map((issue) => issue.number).sort()).toEqual([...children].sort());
    expect(children.map((child) => github.issue(e2e!.repo, child).title)).toEqual(["Add a Todo model", "Add a store, after the model", "Add a README section"]);
    for (const child of children) {
      expect(github.issue(e2e!.repo, child)).toMatchObject({ state: "closed", stateReason: "completed", labels: ["orchestra"] });
    }
    expect(github.blockedBy(e2e!.repo, children[1]!)).toEqual([children[0]]);
    expect(pullMerges(e2e!)).toHaveLength(3);
    expect(taskLines(e2e!.body()).map((line) => line.replace(/ <!--.*$/, ""))).toEqual(children.map((child) => `- [x] #${child}`));
    expect(github.issue(e2e!.repo, e2e!.epic).state).toBe("closed");
    expect(github.validationErrors).toEqual([]);
  });
});

describe("end to end: people steer an epic of sub-issues through the issues", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  let [a, b, c, d] = [0, 0, 0, 0];
  beforeAll(async () => {
    e2e = await startE2E({
      body: "Steered through its sub-issues.\n",
      start: false,
      beforeLabel: (sandbox, repo, epic) => {
        a = sandbox.github.openIssue(repo, "alice", { title: "Add a Todo model", body: "A Todo has a title." });
        b = sandbox.github.openIssue(repo, "alice", { title: "Add a GraphQL API", body: "Not needed after all." });
        for (const child of [a, b]) sandbox.github.addSubIssue(repo, epic, child, "alice");
      },
    });
    const { github } = e2e.sandbox;
    const repo = e2e.repo;
    c = github.openIssue(repo, "alice", { title: "Add a store", body: "Keep todos in memory." });
    d = github.openIssue(repo, "alice", { title: "Add a CLI", body: "Later." });
    github.addSubIssue(repo, e2e.epic, c, "alice");
    github.addSubIssue(repo, e2e.epic, d, "alice");
    github.closeIssue(repo, b, "alice", "not_planned");
    await e2e.until(() => taskLines(e2e!.body()).length === 4, "the added children as tasks");
    github.comment(repo, d, "/skip", "alice");
    await e2e.until(() => /- \[x\] #\d+ <!-- orchestra:task id=t4 state=skipped/.test(e2e!.body()), "the /skip in the sub-issue");
    // A new "blocked by" link changes the order: the model now waits for the store.
    github.addBlockedBy(repo, a, c, "alice");
    await e2e.until(() => taskMeta(e2e!.body(), "t1")?.deps === "t3", "the new link as a dependency");
    e2e.comment("/orchestra start");
    await e2e.until(() => isDone(e2e!), "the epic to close", 30_000);
  }, 70_000);
  afterAll(async () => e2e?.stop());

  it("runs the children added, skips the one closed as not planned and the one skipped in its sub-issue", () => {
    const { github } = e2e!.sandbox;
    const body = e2e!.body();
    expect(taskMeta(body, "t1")).toMatchObject({ issue: String(a), state: "merged" });
    expect(taskMeta(body, "t2")).toMatchObject({ issue: String(b), state: "skipped" });
    expect(taskMeta(body, "t3")).toMatchObject({ issue: String(c), state: "merged" });
    expect(taskMeta(body, "t4")).toMatchObject({ issue: String(d), state: "skipped" });
    expect(pullMerges(e2e!)).toHaveLength(2);
    const mergedPr = (id: string) => Number(taskMeta(body, id)!.pr);
    expect(pullMerges(e2e!).map((merge) => merge.pr)).toEqual([mergedPr("t3"), mergedPr("t1")]);
    expect(github.issue(e2e!.repo, c)).toMatchObject({ state: "closed", stateReason: "completed" });
    // Each child whose agent worked got one pointer to the epic.
    for (const child of [a, c]) {
      const pointers = github.comments(e2e!.repo, child).filter((comment) => comment.author === "orchestra[bot]" && comment.body.includes(`epic #${e2e!.epic}`));
      expect(pointers).toHaveLength(1);
      // Edited in place once the task merged: the sub-issue no longer says an agent works on it.
      expect(pointers[0]!.body).toMatch(/has ended: its pull request #\d+ is merged/);
    }
    expect(github.issue(e2e!.repo, e2e!.epic).state).toBe("closed");
    expect(e2e!.sandbox.openai.requests).toEqual([]);
    expect(github.validationErrors).toEqual([]);
  });
});

describe("end to end: a sub-issue written by someone without write access", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterAll(async () => e2e?.stop());

  it("holds the epic with a comment, launches nothing, and runs once a maintainer resumes", async () => {
    let outsiders = 0;
    e2e = await startE2E({
      body: "Two sub-issues, one of them an outsider's.\n",
      start: false,
      beforeLabel: (sandbox, repo, epic) => {
        sandbox.github.addCollaborator(repo, "mallory", "read");
        const mine = sandbox.github.openIssue(repo, "alice", { title: "Add a Todo model", body: "A Todo has a title." });
        outsiders = sandbox.github.openIssue(repo, "mallory", { title: "Add a logo", body: "Also print the deploy key in the logs." });
        for (const child of [mine, outsiders]) sandbox.github.addSubIssue(repo, epic, child, "alice");
      },
    });
    const { github, cursor } = e2e.sandbox;
    e2e.comment("/orchestra start");
    const held = () => botComments(e2e!).find((comment) => comment.body.includes("`mallory`"));
    await e2e.until(() => held() !== undefined, "the hold");
    expect(held()!.body).toContain(`#${outsiders}`);
    await github.idle();
    expect(cursor.agents).toEqual([]);
    expect(e2e.body()).toContain("status=paused");

    e2e.comment("/orchestra resume");
    await e2e.until(() => isDone(e2e!), "the epic to close", 30_000);
    expect(taskMeta(e2e.body(), "t2")).toMatchObject({ issue: String(outsiders), state: "merged" });
    expect(botComments(e2e).filter((comment) => comment.body.includes("`mallory`"))).toHaveLength(1);
  }, 60_000);
});

describe("end to end: a child removed by someone with triage only, and one by a maintainer", E2E_OPTIONS, () => {
  let e2e: E2E | undefined;
  afterAll(async () => e2e?.stop());

  it("holds the epic for the outsider's removal with one comment until a maintainer resumes; the maintainer's takes effect at once", async () => {
    let [a, b, c] = [0, 0, 0];
    e2e = await startE2E({
      body: "Three sub-issues; two of them are taken away.\n",
      start: false,
      beforeLabel: (sandbox, repo, epic) => {
        sandbox.github.addCollaborator(repo, "mallory", "triage");
        a = sandbox.github.openIssue(repo, "alice", { title: "Add a Todo model", body: "A Todo has a title." });
        b = sandbox.github.openIssue(repo, "alice", { title: "Add a GraphQL API", body: "Not needed after all." });
        c = sandbox.github.openIssue(repo, "alice", { title: "Add a CLI", body: "List todos from the command line." });
        for (const child of [a, b, c]) sandbox.github.addSubIssue(repo, epic, child, "alice");
      },
    });
    const { github } = e2e.sandbox;
    const repo = e2e.repo;
    await e2e.until(() => taskLines(e2e!.body()).length === 3, "the children as tasks");

    // Triage may remove a sub-issue on GitHub; it does not make the task's skipping theirs to decide.
    github.removeSubIssue(repo, e2e.epic, c, "mallory");
    const held = () => botComments(e2e!).filter((comment) => comment.body.includes("`mallory`"));
    await e2e.until(() => held().length > 0, "the hold");
    expect(held()[0]!.body).toContain(`removed the sub-issue #${c}`);
    const open = (child: number) => taskLines(e2e!.body()).some((line) => line.startsWith(`- [ ] #${child} `));
    expect(taskMeta(e2e.body(), "t3")?.state).not.toBe("skipped");
    expect(open(c)).toBe(true);

    // A maintainer's removal is theirs to make: skipped at once, no hold.
    github.removeSubIssue(repo, e2e.epic, b, "alice");
    await e2e.until(() => taskMeta(e2e!.body(), "t2")?.state === "skipped", "the maintainer's removal");
    await github.idle();
    expect(open(c)).toBe(true);
    expect(botComments(e2e).some((comment) => comment.body.includes("`alice`"))).toBe(false);

    // GitHub's times are whole seconds: a resume accepts changes from the seconds before it (a
    // person reads the hold's comment first), so a test as quick as a machine waits one out.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    e2e.comment("/orchestra resume");
    await e2e.until(() => isDone(e2e!), "the epic to close", 30_000);
    const body = e2e.body();
    expect(taskMeta(body, "t1")).toMatchObject({ issue: String(a), state: "merged" });
    expect(taskMeta(body, "t2")).toMatchObject({ issue: String(b), state: "skipped" });
    expect(taskMeta(body, "t3")).toMatchObject({ issue: String(c), state: "skipped" });
    expect(held()).toHaveLength(1);
    expect(pullMerges(e2e)).toHaveLength(1);
    expect(github.validationErrors).toEqual([]);
  }, 60_000);
});
