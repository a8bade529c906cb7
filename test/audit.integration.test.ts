import { readFileSync } from "node:fs";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, OPENAI_URL, TEST_NOW, type TestApp } from "./helpers/app.js";
import { checkRunCompleted, count, epic, issueComment, item, planState, seedAgent, seedStatusComment, STATUS_COMMENT_ID } from "./helpers/epic-events.js";
import { API, NockWorld, REPO_PATH, type WorldCheck, type WorldPull } from "./helpers/nock-world.js";

/**
 * The audit gate through Probot, against NockWorld answering as GitHub does and nock answering
 * as OpenAI does: the verdict is a check run of this App (app id 1, from `GET /app`), read back
 * in the next snapshot; a merge happens only after a passing audit of the exact head.
 */

const BRANCH = "orchestra/1-t1-a1";
const APP_ID = 1;
const RUNNING = epic(
  `status=running runs=1 comment=${STATUS_COMMENT_ID}`,
  item("Add the model", `id=t1 state=running attempt=1 agent=bc-1 launched=${TEST_NOW}`),
  item("Add the API", "id=t2 deps=t1"),
);
const LLM_ENV = { OPENAI_API_KEY: "sk-test-secret-0123456789", OPENAI_BASE_URL: `${OPENAI_URL}/v1` };
const green = (name: string): WorldCheck => ({ name, status: "COMPLETED", conclusion: "SUCCESS" });

const FIXTURE_USAGE = JSON.parse(readFileSync(new URL("../fixtures/api/llm-openai-chat-completion.json", import.meta.url), "utf8")).usage;
const AUDIT_TOKENS = FIXTURE_USAGE.prompt_tokens + FIXTURE_USAGE.completion_tokens;

function openaiReply(verdict: unknown) {
  const body = JSON.parse(readFileSync(new URL("../fixtures/api/llm-openai-chat-completion.json", import.meta.url), "utf8"));
  body.choices[0].message.content = typeof verdict === "string" ? verdict : JSON.stringify(verdict);
  return body;
}

const FILE = {
  sha: "bbcd538c8e72b8c175046e27cc8f907076331401",
  filename: "src/model.ts",
  status: "added",
  additions: 1,
  deletions: 0,
  changes: 1,
  blob_url: "https://github.com/Codertocat/Hello-World/blob/x/src/model.ts",
  raw_url: "https://github.com/Codertocat/Hello-World/raw/x/src/model.ts",
  contents_url: "https://api.github.com/repos/Codertocat/Hello-World/contents/src/model.ts?ref=x",
  patch: "@@ -0,0 +1 @@\n+export const model = 1;",
};

interface CreatedRun {
  name: string;
  head_sha: string;
  status: string;
  conclusion: string;
  output: { title: string; summary: string; annotations?: unknown[] };
}

describe("the audit gate", () => {
  let app: TestApp;
  let world: NockWorld;
  let runs: CreatedRun[];
  let annotationPatches: number[];
  afterEach(() => {
    app?.stop();
    nock.cleanAll();
  });

  async function setup(): Promise<void> {
    world = new NockWorld(RUNNING);
    world.configText = "audit:\n  enabled: true\n";
    seedStatusComment(world);
    seedAgent(world, "bc-1", BRANCH);
    runs = [];
    annotationPatches = [];
    // GitHub's checks API and PR files, as the App's installation token sees them.
    nock(API)
      .persist()
      .get(new RegExp(`${REPO_PATH}/pulls/\\d+/files`))
      .query(true)
      .reply(() => {
        world.calls.push("GET pull files");
        return [200, [FILE]];
      })
      .post(`${REPO_PATH}/check-runs`)
      .reply((_uri, body) => {
        const run = body as CreatedRun;
        runs.push(run);
        world.calls.push(`POST check run ${run.conclusion} at ${run.head_sha}`);
        const pull = world.pulls.find((candidate) => candidate.sha === run.head_sha)!;
        pull.contexts = [...(pull.contexts ?? []), { name: run.name, status: "COMPLETED", conclusion: run.conclusion.toUpperCase() as "SUCCESS", summary: run.output.summary, appId: APP_ID }];
        return [201, { id: 7000 + runs.length, name: run.name, head_sha: run.head_sha }];
      })
      .patch(/\/check-runs\/\d+$/)
      .reply((_uri, body) => {
        annotationPatches.push((body as CreatedRun).output.annotations?.length ?? 0);
        world.calls.push("PATCH check run");
        return [200, { id: 7001 }];
      });
    app = await createTestApp({ processEnv: LLM_ENV });
  }

  function openPull(contexts: WorldCheck[] = [green("ci / test")]): WorldPull {
    const pull = world.openPull(world.agents[0]!);
    pull.contexts = contexts;
    return pull;
  }

  async function ciChanged(): Promise<void> {
    await app.receive("check_run", checkRunCompleted(BRANCH));
    await app.settle();
  }

  /** OpenAI's answers, in order; each asked for exactly once. */
  function llmAnswers(...answers: unknown[]): nock.Scope {
    const scope = nock(OPENAI_URL);
    for (const answer of answers) scope.post("/v1/chat/completions").reply(200, openaiReply(answer));
    return scope;
  }

  it("approve: the check run is published at the head, then the PR is merged at that sha, and the head is never audited again", async () => {
    await setup();
    const llm = llmAnswers({ verdict: "approve", findings: [] });
    const pull = openPull();
    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(llm.isDone()).toBe(true);
    expect(runs).toEqual([
      {
        name: "Orchestra audit",
        head_sha: pull.sha,
        status: "completed",
        conclusion: "success",
        output: { title: "Approved", summary: expect.stringContaining("The auditor (openai `gpt-4o-mini`) read the task") },
      },
    ]);
    const published = world.calls.indexOf(`POST check run success at ${pull.sha}`);
    expect(published).toBeGreaterThan(world.calls.indexOf("GET pull files"));
    expect(world.calls.indexOf(`merge #${pull.number} squash`)).toBeGreaterThan(published);
    expect(world.merges).toEqual([{ pr: pull.number, sha: pull.sha, checks: "SUCCESS" }]);
    // What the audit cost is counted in the block, against budget.llmTokens.
    expect(world.plainBody).toMatch(new RegExp(`tokens=${AUDIT_TOKENS}\\b`));

    // Events about the same head: nothing is audited again (an LLM call would find no mock).
    await ciChanged();
    expect(runs).toHaveLength(1);
    expect(count(world, "GET pull files")).toBe(1);
    expect(app.failures()).toEqual([]);
  });

  it("changes: a failing check run with its annotations in batches of 50, one follow-up, no merge; the new head is audited and merged", async () => {
    await setup();
    const findings = Array.from({ length: 60 }, (_, i) => ({ file: "src/model.ts", line: i + 1, severity: "error", message: `Problem ${i + 1}.` }));
    const llm = llmAnswers({ verdict: "changes", findings }, { verdict: "approve", findings: [] });
    const pull = openPull();
    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ conclusion: "failure", head_sha: pull.sha, output: { title: "Changes requested: 60 findings" } });
    expect(runs[0]!.output.annotations).toHaveLength(50);
    expect(annotationPatches).toEqual([10]);
    expect(world.merges).toEqual([]);
    const agent = world.agents[0]!;
    expect(agent.followups).toHaveLength(1);
    expect(agent.followups[0]).toContain(`Orchestra's auditor read pull request #${pull.number}`);
    expect(agent.followups[0]).toContain("`src/model.ts:60`: Problem 60.");
    expect(world.plainBody).toContain(`fixes=1 followup=audit:${pull.sha}`);

    // Nothing new at this head: no second follow-up, no second audit.
    await ciChanged();
    expect(agent.followups).toHaveLength(1);
    expect(runs).toHaveLength(1);

    // The agent pushes a fix: the new head is audited, passes, and is merged at that sha.
    const first = pull.sha;
    pull.sha = `${first}-fix`;
    pull.contexts = [green("ci / test")];
    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(llm.isDone()).toBe(true);
    expect(runs.map((run) => [run.head_sha, run.conclusion])).toEqual([
      [first, "failure"],
      [pull.sha, "success"],
    ]);
    expect(world.merges).toEqual([{ pr: pull.number, sha: pull.sha, checks: "SUCCESS" }]);
    expect(agent.followups).toHaveLength(1);
  });

  it("a model that answers twice with an invalid verdict pauses the epic with a comment, nothing merged unaudited; /orchestra resume audits again", async () => {
    await setup();
    const failing = llmAnswers("I think it is fine.", '{"verdict":"ship it"}');
    const pull = openPull();
    await ciChanged();
    expect(failing.isDone()).toBe(true);
    expect(app.failures()).toEqual([]);
    expect(runs).toEqual([]);
    expect(world.merges).toEqual([]);
    expect(planState(world.body)).toContain('"status":"paused"');
    const notices = world.comments.filter((comment) => comment.body.includes("gave no verdict"));
    expect(notices).toHaveLength(1);
    expect(notices[0]!.body).toContain(`the audit of #${pull.number} (t1) gave no verdict, so it was not merged`);
    expect(notices[0]!.body).toContain("answered twice with an invalid verdict");
    expect(notices[0]!.body).toContain("Comment `/orchestra resume` to audit it again.");
    expect(notices[0]!.body).not.toContain(LLM_ENV.OPENAI_API_KEY);

    // Paused: more events change nothing and ask no model.
    await ciChanged();
    expect(runs).toEqual([]);

    const approve = llmAnswers({ verdict: "approve", findings: [] });
    await app.receive("issue_comment", issueComment(world, "/orchestra resume"));
    await app.settle();
    expect(app.failures()).toEqual([]);
    expect(approve.isDone()).toBe(true);
    expect(runs.map((run) => run.conclusion)).toEqual(["success"]);
    expect(world.merges).toEqual([{ pr: pull.number, sha: pull.sha, checks: "SUCCESS" }]);
  });

  it("an `Orchestra audit` check run from another App does not count: Orchestra audits and publishes its own", async () => {
    await setup();
    const llm = llmAnswers({ verdict: "approve", findings: [] });
    const pull = openPull([green("ci / test"), { ...green("Orchestra audit"), appId: 999, summary: "Approved by someone else" }]);
    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(llm.isDone()).toBe(true);
    expect(runs.map((run) => [run.head_sha, run.conclusion])).toEqual([[pull.sha, "success"]]);
    expect(world.calls.indexOf(`merge #${pull.number} squash`)).toBeGreaterThan(world.calls.indexOf(`POST check run success at ${pull.sha}`));
  });

  it("Orchestra's own passing audit alone does not satisfy requireChecks: no merge until another check ran", async () => {
    await setup();
    const pull = openPull([{ ...green("Orchestra audit"), appId: APP_ID }]);
    pull.checks = "NONE";
    await ciChanged();
    expect(app.failures()).toEqual([]);
    expect(runs).toEqual([]);
    expect(world.merges).toEqual([]);
    expect(count(world, "GET pull files")).toBe(0);

    pull.contexts = [green("ci / test"), { ...green("Orchestra audit"), appId: APP_ID }];
    pull.checks = "SUCCESS";
    await ciChanged();
    expect(runs).toEqual([]);
    expect(world.merges).toEqual([{ pr: pull.number, sha: pull.sha, checks: "SUCCESS" }]);
  });
});
