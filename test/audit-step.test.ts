import nock from "nock";
import { pino } from "pino";
import { ProbotOctokit } from "probot";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { GitHubGateway } from "../src/github/gateway.js";
import type { AuditInput, AuditResult } from "../src/llm/audit-types.js";
import { parseConfigText } from "../src/orchestration/config.js";
import type { ReconcileDeps } from "../src/orchestration/reconcile-deps.js";
import { runAuditStep, type AuditEffect } from "../src/runtime/audit-step.js";
import { API, NAME, OWNER, REPO_PATH } from "./helpers/nock-world.js";

/**
 * One audit step against GitHub's REST answers (nock): what an attacker-minded review found in
 * it. The auditor itself is the seam `deps.audit` (its own tests drive the model); here it only
 * counts how often it is asked.
 */

const SHA = "a".repeat(40);
const MOVED = "b".repeat(40);
const REF = { installationId: 1, owner: OWNER, repo: NAME, issueNumber: 1 };
const USAGE = { inputTokens: 1_200, outputTokens: 300 };
const EFFECT: AuditEffect = {
  kind: "audit",
  taskId: "t1",
  pr: 5,
  sha: SHA,
  task: { title: "Add the model", details: "" },
  epic: { number: 1, title: "Epic", text: "" },
  checks: [],
};
const FILE = {
  sha: "0".repeat(40),
  filename: "src/model.ts",
  status: "added",
  additions: 1,
  deletions: 0,
  changes: 1,
  blob_url: "https://github.com/x",
  raw_url: "https://github.com/x",
  contents_url: "https://api.github.com/x",
  patch: "@@ -0,0 +1 @@\n+export const model = 1;",
};
const config = (() => {
  const result = parseConfigText("audit:\n  enabled: true\n");
  if (!result.ok) throw new Error("config");
  return result.config;
})();
const log = pino({ level: "silent" });

function world() {
  const octokit = new ProbotOctokit({ auth: { token: "ghs_test" }, throttle: { enabled: false }, retry: { enabled: false } });
  const reported = new Map<string, string>();
  const asked: AuditInput[] = [];
  const deps = {
    gateway: new GitHubGateway(octokit as never, { owner: OWNER, repo: NAME }),
    reported: { get: (key: string) => reported.get(key), set: (key: string, value: string) => reported.set(key, value) },
    audit: async (input: AuditInput): Promise<AuditResult> => {
      asked.push(input);
      return { ok: true, verdict: "approve", findings: [], provider: "openai", model: "gpt-4o-mini", usage: USAGE };
    },
  } as unknown as ReconcileDeps;
  return { deps, asked };
}

function pullAt(headSha: string) {
  return { number: 5, body: "Adds the model.", changed_files: 1, head: { sha: headSha, ref: "orchestra/1-t1-a1" } };
}

describe("runAuditStep", () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => {
    expect(nock.pendingMocks()).toEqual([]);
    nock.cleanAll();
  });

  it("never publishes a verdict on a head other than the one whose diff it read: a head that moved since the snapshot is not audited", async () => {
    const { deps, asked } = world();
    // The agent pushed between the snapshot (head SHA) and the audit: GitHub lists the new head's files.
    nock(API).get(`${REPO_PATH}/pulls/5/files`).query(true).reply(200, [FILE]).get(`${REPO_PATH}/pulls/5`).reply(200, pullAt(MOVED));
    const outcome = await runAuditStep(REF, EFFECT, config, deps, log);
    expect(asked).toEqual([]);
    expect(outcome).toEqual({ waitMs: expect.any(Number) });
    expect((outcome as { waitMs: number }).waitMs).toBeGreaterThan(0);
  });

  it("counts the tokens of an audit whose check run GitHub failed to take, once, when the kept verdict is published on the retry", async () => {
    const { deps, asked } = world();
    nock(API)
      .get(`${REPO_PATH}/pulls/5/files`)
      .query(true)
      .times(2)
      .reply(200, [FILE])
      .get(`${REPO_PATH}/pulls/5`)
      .times(2)
      .reply(200, pullAt(SHA))
      .post(`${REPO_PATH}/check-runs`)
      .reply(502, { message: "Server Error" })
      .post(`${REPO_PATH}/check-runs`)
      .reply(201, { id: 7001, name: "Orchestra audit", head_sha: SHA });
    await expect(runAuditStep(REF, EFFECT, config, deps, log)).rejects.toMatchObject({ status: 502 });
    const retried = await runAuditStep(REF, EFFECT, config, deps, log);
    // The model was asked once; what it cost reaches the block with the publishing pass.
    expect(asked).toHaveLength(1);
    expect(retried).toEqual({ waitMs: 0, usage: USAGE });
    // Published: nothing more is counted or asked for this head.
    expect(await runAuditStep(REF, EFFECT, config, deps, log)).toEqual({ waitMs: expect.any(Number) });
  });

  it("counts the tokens of an audit GitHub refused (403) with the pause, and not again when a resume publishes the kept verdict", async () => {
    const { deps, asked } = world();
    nock(API)
      .get(`${REPO_PATH}/pulls/5/files`)
      .query(true)
      .times(2)
      .reply(200, [FILE])
      .get(`${REPO_PATH}/pulls/5`)
      .times(2)
      .reply(200, pullAt(SHA))
      .post(`${REPO_PATH}/check-runs`)
      .reply(403, { message: "Resource not accessible by integration" })
      .post(`${REPO_PATH}/check-runs`)
      .reply(201, { id: 7001, name: "Orchestra audit", head_sha: SHA });
    expect(await runAuditStep(REF, EFFECT, config, deps, log)).toMatchObject({ pause: { key: "audit-forbidden-t1" }, usage: USAGE });
    expect(await runAuditStep(REF, EFFECT, config, deps, log)).toEqual({ waitMs: 0 });
    expect(asked).toHaveLength(1);
  });

  it("a rate-limited installation (GitHub's 403 with its rate-limit headers) is not taken for a missing permission: no pause, the error goes up", async () => {
    const { deps, asked } = world();
    nock(API)
      .get(`${REPO_PATH}/pulls/5/files`)
      .query(true)
      .reply(200, [FILE])
      .get(`${REPO_PATH}/pulls/5`)
      .reply(200, pullAt(SHA))
      .post(`${REPO_PATH}/check-runs`)
      .reply(403, { message: "API rate limit exceeded for installation ID 1." }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 600) })
      .post(`${REPO_PATH}/check-runs`)
      .reply(403, { message: "You have exceeded a secondary rate limit." }, { "retry-after": "60" });
    await expect(runAuditStep(REF, EFFECT, config, deps, log)).rejects.toMatchObject({ status: 403 });
    nock(API).get(`${REPO_PATH}/pulls/5/files`).query(true).reply(200, [FILE]).get(`${REPO_PATH}/pulls/5`).reply(200, pullAt(SHA));
    await expect(runAuditStep(REF, EFFECT, config, deps, log)).rejects.toMatchObject({ status: 403 });
    expect(asked).toHaveLength(1);
  });
});
