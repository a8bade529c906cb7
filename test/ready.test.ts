import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, serveRoutes, type TestApp } from "./helpers/app.js";

describe("GET /ready and GET /metrics", () => {
  let app: TestApp | undefined;
  let routes: Awaited<ReturnType<typeof serveRoutes>> | undefined;
  afterEach(async () => {
    app?.stop();
    await routes?.close();
  });

  it("is ready when GitHub accepts the App's credentials, and asks GitHub again only after a while", async () => {
    app = await createTestApp();
    routes = await serveRoutes(app);
    const scope = nock("https://api.github.com")
      .get("/app")
      .matchHeader("authorization", /^bearer ey/i)
      .reply(200, { id: 1, slug: "orchestra" });
    const first = await fetch(`${routes.url}/ready`);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ status: "ready", checks: { github: "ok" } });
    // Cached: a load balancer probing every second costs GitHub one request per 30 s.
    expect((await fetch(`${routes.url}/ready`)).status).toBe(200);
    expect(scope.isDone()).toBe(true);
  });

  it("is not ready, saying why, when GitHub refuses the credentials", async () => {
    app = await createTestApp();
    routes = await serveRoutes(app);
    const scope = nock("https://api.github.com").get("/app").reply(401, { message: "A JSON web token could not be decoded" });
    const response = await fetch(`${routes.url}/ready`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: "not ready",
      checks: { github: expect.stringContaining("A JSON web token could not be decoded") },
    });
    expect(scope.isDone()).toBe(true);
    // /health is liveness only: the process is alive.
    expect((await fetch(`${routes.url}/health`)).status).toBe(200);
  });

  it("is not ready once shutdown began, so that load balancers send webhooks elsewhere", async () => {
    app = await createTestApp();
    routes = await serveRoutes(app);
    nock("https://api.github.com").get("/app").reply(200, { id: 1 });
    await app.orchestra.shutdown(100);
    const response = await fetch(`${routes.url}/ready`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "not ready", checks: { shutdown: "shutting down", github: "ok" } });
  });

  it("serves queue depth and age, reconciles by outcome, readiness checks and the process's default metrics", async () => {
    app = await createTestApp();
    routes = await serveRoutes(app);
    nock("https://api.github.com").get("/app").reply(200, { id: 1 });
    await fetch(`${routes.url}/ready`);
    const text = await (await fetch(`${routes.url}/metrics`)).text();
    expect(text).toContain('orchestra_queue_depth{state="queued"} 0');
    expect(text).toContain('orchestra_queue_depth{state="running"} 0');
    expect(text).toContain("orchestra_queue_oldest_event_age_seconds 0");
    expect(text).toContain('orchestra_readiness_checks_total{check="github",result="ok"} 1');
    expect(text).toContain("# TYPE orchestra_reconciles_total counter");
    expect(text).toContain("process_cpu_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    expect(text).toContain("process_resident_memory_bytes");
  });

  it("counts and times GitHub requests by route, and keeps each installation's rate limit remaining", async () => {
    app = await createTestApp();
    routes = await serveRoutes(app);
    nock("https://api.github.com")
      .post("/app/installations/42/access_tokens")
      .reply(201, { token: "ghs_x", expires_at: "2999-01-01T00:00:00Z" })
      .get("/repos/octo/demo")
      .reply(200, { id: 1 }, { "x-ratelimit-remaining": "4321" })
      .get("/repos/octo/gone")
      .reply(404, { message: "Not Found" }, { "x-ratelimit-remaining": "4320" });
    const octokit = await app.orchestra.installationOctokit(42);
    await octokit.request("GET /repos/{owner}/{repo}", { owner: "octo", repo: "demo" });
    await expect(octokit.request("GET /repos/{owner}/{repo}", { owner: "octo", repo: "gone" })).rejects.toMatchObject({ status: 404 });
    const text = await (await fetch(`${routes.url}/metrics`)).text();
    expect(text).toContain('orchestra_github_requests_total{route="GET /repos/{owner}/{repo}",status="200"} 1');
    expect(text).toContain('orchestra_github_requests_total{route="GET /repos/{owner}/{repo}",status="404"} 1');
    expect(text).toContain('orchestra_github_request_duration_seconds_count{route="GET /repos/{owner}/{repo}"} 2');
    expect(text).toContain('orchestra_github_rate_limit_remaining{installation="42"} 4320');
  });
});
