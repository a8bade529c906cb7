import { readFileSync } from "node:fs";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, OPENAI_URL, TEST_NOW, type TestApp } from "./helpers/app.js";
import { checkRunCompleted, epic, item, planState, seedAgent, seedStatusComment, STATUS_COMMENT_ID } from "./helpers/epic-events.js";
import { API, NockWorld, REPO_PATH } from "./helpers/nock-world.js";

/**
 * `budget.llmTokens` against audits of one pass: once an audit spends what is left, the other
 * PRs ready in the same pass are not audited (the model is not asked), and the epic pauses.
 */

const LLM_ENV = { OPENAI_API_KEY: "sk-test-secret-0123456789", OPENAI_BASE_URL: `${OPENAI_URL}/v1` };
const APP_ID = 1;

function openaiApprove() {
  const body = JSON.parse(readFileSync(new URL("../fixtures/api/llm-openai-chat-completion.json", import.meta.url), "utf8"));
  body.choices[0].message.content = JSON.stringify({ verdict: "approve", findings: [] });
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

describe("the token budget and the audits of one pass", () => {
  let app: TestApp;
  afterEach(() => {
    app?.stop();
    nock.cleanAll();
  });

  it("an audit that reaches budget.llmTokens stops the next PR's audit in the same pass; the epic pauses saying what was spent", async () => {
    const world = new NockWorld(
      epic(
        `status=running runs=2 comment=${STATUS_COMMENT_ID}`,
        item("Add the model", `id=t1 state=running attempt=1 agent=bc-1 launched=${TEST_NOW}`),
        item("Add the view", `id=t2 state=running attempt=1 agent=bc-2 launched=${TEST_NOW}`),
      ),
    );
    world.configText = "audit:\n  enabled: true\nbudget:\n  llmTokens: 10\n";
    seedStatusComment(world);
    const agents = [seedAgent(world, "bc-1", "orchestra/1-t1-a1"), seedAgent(world, "bc-2", "orchestra/1-t2-a1")];
    const runs: string[] = [];
    nock(API)
      .persist()
      .get(new RegExp(`${REPO_PATH}/pulls/\\d+/files`))
      .query(true)
      .reply(200, [FILE])
      .post(`${REPO_PATH}/check-runs`)
      .reply((_uri, body) => {
        const run = body as { name: string; head_sha: string; conclusion: string; output: { summary: string } };
        runs.push(run.head_sha);
        const pull = world.pulls.find((candidate) => candidate.sha === run.head_sha)!;
        pull.contexts = [...(pull.contexts ?? []), { name: run.name, status: "COMPLETED", conclusion: "SUCCESS", summary: run.output.summary, appId: APP_ID }];
        return [201, { id: 7000 + runs.length, name: run.name, head_sha: run.head_sha }];
      });
    // One answer only: a second audit in the pass would find no mock and fail the reconcile.
    const llm = nock(OPENAI_URL).post("/v1/chat/completions").reply(200, openaiApprove());
    app = await createTestApp({ processEnv: LLM_ENV });
    for (const agent of agents) world.openPull(agent).contexts = [{ name: "ci / test", status: "COMPLETED", conclusion: "SUCCESS" }];

    await app.receive("check_run", checkRunCompleted("orchestra/1-t1-a1"));
    await app.settle();
    expect(app.failures()).toEqual([]);
    expect(llm.isDone()).toBe(true);
    expect(runs).toHaveLength(1);
    expect(planState(world.body)).toContain('"status":"paused"');
    expect(world.comments.map((comment) => comment.body).join("\n---\n")).toContain("LLM tokens (planning and audits)");
    expect(world.comments.map((comment) => comment.body).join("\n")).not.toContain("gave no verdict");
  });
});
