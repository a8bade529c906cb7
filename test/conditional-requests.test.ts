import nock from "nock";
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { ConditionalRequests } from "../src/github/conditional-requests.js";
import type { Octokit } from "../src/github/gateway.js";

const API = "https://api.github.com";

function client(): Octokit {
  const Client = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });
  return new Client({ auth: "ghs_test" }) as unknown as Octokit;
}

/** GitHub's answer to one GET: 304 when If-None-Match names its current ETag. */
function github(path: string, body: () => unknown, etag: () => string) {
  const sent: Array<string | undefined> = [];
  const scope = nock(API)
    .persist()
    .get(path)
    .reply(function () {
      const asked = this.req.headers["if-none-match"] as string | undefined;
      sent.push(asked);
      return asked === etag() ? [304, ""] : [200, body(), { etag: etag() }];
    });
  return { sent, done: () => scope.persist(false) };
}

describe("conditional requests", () => {
  it("sends the last ETag and serves a 304 from what GitHub answered before, each caller its own copy", async () => {
    let version = 1;
    const api = github("/repos/o/r/contents/.github%2Forchestra.yml", () => ({ label: `v${version}` }), () => `W/"${version}"`);
    const cache = new ConditionalRequests();
    const octokit = cache.apply(client(), 1);
    const read = async () => (await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", { owner: "o", repo: "r", path: ".github/orchestra.yml" })).data as unknown as { label: string };

    expect(await read()).toEqual({ label: "v1" });
    const second = await read();
    expect(second).toEqual({ label: "v1" });
    second.label = "changed by a caller";
    expect(await read()).toEqual({ label: "v1" });
    version = 2;
    expect(await read()).toEqual({ label: "v2" });

    expect(api.sent).toEqual([undefined, 'W/"1"', 'W/"1"', 'W/"1"']);
    expect(cache.notModified).toBe(2);
    api.done();
  });

  it("keeps installations apart, and stays within its bytes", async () => {
    const api = github("/installation/repositories", () => ({ total_count: 1, repositories: [{ name: "x".repeat(2_000) }] }), () => 'W/"r"');
    const cache = new ConditionalRequests({ maxBytes: 6_000 });
    const one = cache.apply(client(), 1);
    const two = cache.apply(client(), 2);

    await one.request("GET /installation/repositories");
    await two.request("GET /installation/repositories");
    await two.request("GET /installation/repositories");

    // Installation 2's first read did not use installation 1's ETag.
    expect(api.sent).toEqual([undefined, undefined, 'W/"r"']);
    expect(cache.bytes).toBeLessThanOrEqual(6_000);
    api.done();
  });
});
