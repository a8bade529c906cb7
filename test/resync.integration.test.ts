import nock from "nock";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EpicRef } from "../src/orchestration/reconcile.js";
import { createTestApp, type TestApp } from "./helpers/app.js";
import { epic, issueComment, item, seedStatusComment, STATUS_COMMENT_ID } from "./helpers/epic-events.js";
import { API, NAME, NockWorld, OWNER } from "./helpers/nock-world.js";

/**
 * The resync finds open epics with one issue search per installation, not two requests per
 * repository; a repository's own label (`.github/orchestra.yml`) is searched for too; an epic
 * with nothing under way whose issue did not change costs nothing; the repository list is asked
 * conditionally and answered 304.
 */

const ORG = "octo-org";
type Item = { repo: string; number: number; labels: string[]; updatedAt?: string; pull?: boolean };

function searchItem({ repo, number, labels, updatedAt = "2026-01-01T00:00:00Z", pull }: Item) {
  return {
    number,
    repository_url: `${API}/repos/${repo}`,
    updated_at: updatedAt,
    labels: labels.map((name) => ({ name })),
    ...(pull ? { pull_request: { url: `${API}/repos/${repo}/pulls/${number}` } } : {}),
  };
}

function repository(fullName: string) {
  const [owner, name] = fullName.split("/") as [string, string];
  return { full_name: fullName, name, owner: { login: owner } };
}

/** The installation (an organisation's) and its repositories, as the App and the installation see them. */
function installation(id: number, login: string, repos: string[], type = "Organization") {
  return nock(API)
    .get("/app/installations")
    .query(true)
    .reply(200, [{ id, account: { login, type } }])
    .post(`/app/installations/${id}/access_tokens`)
    .reply(201, { token: `ghs_${id}`, expires_at: "2999-01-01T00:00:00Z" })
    .get("/installation/repositories")
    .query(true)
    .reply(200, { total_count: repos.length, repositories: repos.map(repository) }, { etag: 'W/"repos-1"' });
}

describe("the resync", () => {
  let app: TestApp;
  afterEach(() => app?.stop());

  /** What the resync scheduled, without running those reconciles. */
  function scheduled(): EpicRef[] {
    const refs: EpicRef[] = [];
    vi.spyOn(app.orchestra.scheduler, "schedule").mockImplementation((ref) => void refs.push(ref));
    return refs;
  }

  it("finds the open epics of every repository with one search, pages included, and each repository's own label", async () => {
    app = await createTestApp();
    const refs = scheduled();
    const q = vi.fn((_q: string) => true);
    const items: Item[] = [
      ...Array.from({ length: 99 }, (_, i) => ({ repo: `${ORG}/app`, number: i + 1, labels: ["epic"] })),
      // In `docs` the label is `feature`: there an `epic` label means nothing, and here `feature` nothing.
      { repo: `${ORG}/docs`, number: 7, labels: ["bug", "Feature"] },
      { repo: `${ORG}/docs`, number: 8, labels: ["epic"] },
      { repo: `${ORG}/app`, number: 200, labels: ["feature"] },
      // A public repository of the organisation the App is not installed on, and a PR.
      { repo: `${ORG}/elsewhere`, number: 3, labels: ["epic"] },
      { repo: `${ORG}/app`, number: 201, labels: ["epic"], pull: true },
    ];
    const scope = installation(7, ORG, [`${ORG}/app`, `${ORG}/docs`])
      .get(`/repos/${ORG}/app/contents/.github%2Forchestra.yml`)
      .reply(404, { message: "Not Found" })
      .get(`/repos/${ORG}/docs/contents/.github%2Forchestra.yml`)
      .reply(200, "label: feature\n")
      .get("/search/issues")
      .query((query) => q(String(query.q)) && query.page === "1" && query.per_page === "100")
      .reply(200, { total_count: items.length, incomplete_results: false, items: items.slice(0, 100).map(searchItem) })
      .get("/search/issues")
      .query((query) => query.page === "2")
      .reply(200, { total_count: items.length, incomplete_results: false, items: items.slice(100).map(searchItem) });

    await expect(app.orchestra.resync()).resolves.toBe(100);

    expect(scope.isDone()).toBe(true);
    expect(q.mock.calls).toEqual([['is:issue is:open org:octo-org label:"epic","feature"']]);
    expect(refs.map((ref) => `${ref.repo}#${ref.issueNumber}`)).toEqual([...Array.from({ length: 99 }, (_, i) => `app#${i + 1}`), "docs#7"]);
    expect(refs.every((ref) => ref.installationId === 7 && ref.owner === ORG)).toBe(true);
    expect(app.failures()).toEqual([]);
  });

  it("lists each repository's epics instead when GitHub says the search results are incomplete", async () => {
    app = await createTestApp();
    const refs = scheduled();
    const scope = installation(8, "octocat", ["octocat/app"], "User")
      .get("/repos/octocat/app/contents/.github%2Forchestra.yml")
      .reply(404, { message: "Not Found" })
      .get("/search/issues")
      .query((query) => query.q === 'is:issue is:open user:octocat label:"epic"')
      .reply(200, { total_count: 1, incomplete_results: true, items: [searchItem({ repo: "octocat/app", number: 1, labels: ["epic"] })] })
      .get("/repos/octocat/app/issues")
      .query({ labels: "epic", state: "open", per_page: "100" })
      .reply(200, [
        { number: 1, updated_at: "2026-01-01T00:00:00Z" },
        { number: 2, updated_at: "2026-01-01T00:00:00Z" },
      ]);

    await expect(app.orchestra.resync()).resolves.toBe(2);

    expect(scope.isDone()).toBe(true);
    expect(refs.map((ref) => ref.issueNumber)).toEqual([1, 2]);
    expect(app.logs.some((line) => line.msg === "issue search incomplete; listing each repository's epics instead")).toBe(true);
  });

  it("lists each repository's epics instead when the search is refused (its own rate limit), without pausing the installation", async () => {
    app = await createTestApp();
    const refs = scheduled();
    const scope = installation(9, "octocat", ["octocat/app"], "User")
      .get("/repos/octocat/app/contents/.github%2Forchestra.yml")
      .reply(404, { message: "Not Found" })
      .get("/search/issues")
      .query(true)
      .reply(403, { message: "API rate limit exceeded for installation." }, { "x-ratelimit-remaining": "0", "x-ratelimit-resource": "search", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 60) })
      .get("/repos/octocat/app/issues")
      .query(true)
      .reply(200, [{ number: 4, updated_at: "2026-01-01T00:00:00Z" }]);

    await expect(app.orchestra.resync()).resolves.toBe(1);

    expect(scope.isDone()).toBe(true);
    expect(refs.map((ref) => ref.issueNumber)).toEqual([4]);
    expect(app.orchestra.pauses.remainingMs(9, Date.now())).toBe(0);
  });

  it("leaves a quiet epic alone while its issue is unchanged, and asks for the repositories conditionally", async () => {
    const world = new NockWorld(epic(`status=planned comment=${STATUS_COMMENT_ID}`, item("Add the model", "id=t1"), item("Add the API", "id=t2")));
    seedStatusComment(world);
    app = await createTestApp();
    let updatedAt = "2026-01-01T00:00:00Z";
    const conditional = vi.fn((_etag: string | undefined) => true);
    const scope = nock(API)
      .persist()
      .get("/app/installations")
      .query(true)
      .reply(200, [{ id: 42, account: { login: OWNER, type: "User" } }])
      .get("/installation/repositories")
      .query(true)
      .reply(function () {
        const etag = this.req.headers["if-none-match"] as string | undefined;
        conditional(etag);
        return etag === 'W/"repos-1"' ? [304, ""] : [200, { total_count: 1, repositories: [repository(`${OWNER}/${NAME}`)] }, { etag: 'W/"repos-1"' }];
      })
      .get("/search/issues")
      .query((query) => query.q === `is:issue is:open user:${OWNER} label:"epic"`)
      .reply(() => [200, { total_count: 1, incomplete_results: false, items: [searchItem({ repo: `${OWNER}/${NAME}`, number: 1, labels: ["epic"], updatedAt })] }]);
    const snapshots = () => world.calls.filter((call) => call === "graphql OrchestraSnapshot").length;

    // The first resync reconciles every open epic; this one waits for `/orchestra start`.
    expect(await app.orchestra.resync()).toBe(1);
    await app.settle();
    expect(snapshots()).toBeGreaterThan(0);
    const afterFirst = snapshots();

    // Nothing changed: the search, the repositories answered 304, no reconcile.
    expect(await app.orchestra.resync()).toBe(0);
    await app.settle();
    expect(snapshots()).toBe(afterFirst);
    expect(conditional.mock.calls).toEqual([[undefined], ['W/"repos-1"']]);
    expect(app.orchestra.conditional.notModified).toBe(1);

    // A person comments: GitHub moves the issue's updated_at, and the resync reconciles it again.
    issueComment(world, "Looks good.");
    updatedAt = "2026-01-01T00:05:00Z";
    expect(await app.orchestra.resync()).toBe(1);
    await app.settle();
    expect(snapshots()).toBe(afterFirst + 1);

    scope.persist(false);
    expect(app.failures()).toEqual([]);
    expect(app.logs.filter((line) => /skipped|instead/.test(String(line.msg)))).toEqual([]);
  });
});
