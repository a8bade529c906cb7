import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import type { EpicRef } from "../src/orchestration/reconcile.js";
import { InstallationPauses, rateLimitPolicy, rateLimitResetAt } from "../src/runtime/rate-limit.js";
import { createTestApp, type TestApp } from "./helpers/app.js";

const API = "https://api.github.com";
const epicOf = (installationId: number, issueNumber = 1): EpicRef => ({ installationId, owner: "octo", repo: `repo-${installationId}`, issueNumber });

describe("rate limits", () => {
  it("reads the reset from retry-after or x-ratelimit-reset, and nothing from other errors", () => {
    const now = 1_000_000;
    expect(rateLimitResetAt({ status: 429, response: { headers: { "retry-after": "30" } } }, now)).toBe(now + 30_000);
    expect(rateLimitResetAt({ status: 403, response: { headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2000" } } }, now)).toBe(2_000_000);
    expect(rateLimitResetAt({ status: 403, response: { headers: { "x-ratelimit-remaining": "12" } } }, now)).toBeUndefined();
    expect(rateLimitResetAt({ status: 500, response: { headers: { "retry-after": "30" } } }, now)).toBeUndefined();
    expect(rateLimitResetAt(new Error("socket hang up"), now)).toBeUndefined();
  });

  it("waits out a short limit once and fails a long one at once, instead of holding a reconcile for up to an hour", () => {
    expect(rateLimitPolicy(3, {}, undefined, 0)).toBe(true);
    expect(rateLimitPolicy(3, {}, undefined, 1)).toBe(false);
    expect(rateLimitPolicy(3600, {}, undefined, 0)).toBe(false);
  });

  it("keeps an installation paused until its reset", () => {
    const pauses = new InstallationPauses();
    pauses.pause(7, 5_000);
    expect(pauses.remainingMs(7, 1_000)).toBe(4_000);
    expect(pauses.remainingMs(8, 1_000)).toBe(0);
    expect(pauses.remainingMs(7, 5_000)).toBe(0);
  });

  describe("in the app", () => {
    let app: TestApp | undefined;
    afterEach(() => app?.stop());

    it("puts a rate-limited installation's epics off until its reset, asking GitHub nothing meanwhile, while other installations run", async () => {
      app = await createTestApp();
      const resetSeconds = Math.floor(Date.now() / 1000) + 3_600;
      const limited = nock(API)
        .post("/app/installations/1/access_tokens")
        .reply(201, { token: "ghs_one", expires_at: "2999-01-01T00:00:00Z" })
        .get("/repos/octo/repo-1/contents/.github%2Forchestra.yml")
        .reply(403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(resetSeconds) });
      app.orchestra.schedule(epicOf(1, 1));
      await app.settle();
      expect(limited.isDone()).toBe(true);
      const waitMs = app.orchestra.pauses.remainingMs(1, Date.now());
      expect(waitMs).toBeGreaterThan(3_500_000);
      expect(app.logs.some((line) => line.msg === "installation rate limited: its epics wait for the reset, the others go on")).toBe(true);

      // Another epic of the same installation: no request at all (nock would refuse one).
      app.orchestra.schedule(epicOf(1, 2));
      // Another installation is asked at once.
      const other = nock(API)
        .post("/app/installations/2/access_tokens")
        .reply(201, { token: "ghs_two", expires_at: "2999-01-01T00:00:00Z" })
        .get("/repos/octo/repo-2/contents/.github%2Forchestra.yml")
        .reply(404, { message: "Not Found" });
      app.orchestra.schedule(epicOf(2, 1));
      for (let i = 0; i < 100 && !other.isDone(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(other.isDone()).toBe(true);
      // Installation 1's second epic waits for the reset without a request or a failure.
      expect(app.logs.filter((line) => line.msg === "reconcile failed; retrying" && String(line.epic).includes("repo-1"))).toEqual([]);
    });

    it("resyncs the other installations when one installation's token is refused", async () => {
      app = await createTestApp();
      const scope = nock(API)
        .get("/app/installations")
        .query(true)
        .reply(200, [{ id: 1 }, { id: 2 }])
        .post("/app/installations/1/access_tokens")
        .reply(401, { message: "A JSON web token could not be decoded" })
        .post("/app/installations/2/access_tokens")
        .reply(201, { token: "ghs_two", expires_at: "2999-01-01T00:00:00Z" })
        .get("/installation/repositories")
        .query(true)
        .reply(200, { total_count: 0, repositories: [] });
      await expect(app.orchestra.resync()).resolves.toBe(0);
      expect(scope.isDone()).toBe(true);
      expect(app.logs.some((line) => line.msg === "resync skipped an installation; the others go on" && line.installation === 1)).toBe(true);
    });
  });
});
