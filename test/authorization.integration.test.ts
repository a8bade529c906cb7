import nock from "nock";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTestApp, type TestApp } from "./helpers/app.js";
import { epic, issueComment, issuesLabeled, item, planState, seedStatusComment, STATUS_COMMENT_ID } from "./helpers/epic-events.js";
import { API, NockWorld, REPO_PATH } from "./helpers/nock-world.js";

/**
 * Who may steer an epic: only people with write, maintain or admin permission, as the
 * collaborator-permission API says (cached for at most a minute). Bots, Orchestra included, are
 * ignored without a single request; anyone else gets one polite reply and nothing else happens.
 */

const PLANNED = epic(
  `status=planned comment=${STATUS_COMMENT_ID}`,
  item("Add the model", "id=t1"),
  item("Add the API", "id=t2 deps=t1"),
);

const POLITE_COMMAND_REPLY = (login: string) =>
  `@${login}, sorry: only people with write, maintain or admin permission on this repository can run Orchestra's commands. Nothing was changed.`;

/** How NockWorld logs a posted comment: its first 60 characters. */
const commentCall = (issue: number, body: string) => `POST comment on #${issue}: ${body.slice(0, 60)}`;

/** Every request nock answered for GitHub and Cursor, and every request it could not match. */
function countRequests(world: NockWorld) {
  const seen: string[] = [];
  const unmatched: string[] = [];
  const onRequest = (req: { method?: string; path?: string }) => seen.push(`${req.method} ${req.path}`);
  const onNoMatch = (req: { method?: string; path?: string; href?: string }) => unmatched.push(`${req.method} ${req.href ?? req.path}`);
  world.github.on("request", onRequest);
  world.cursor.on("request", onRequest);
  nock.emitter.on("no match", onNoMatch);
  return {
    seen,
    unmatched,
    permissionLookups: () => seen.filter((line) => /\/collaborators\/[^/]+\/permission/.test(line)),
    dispose: () => nock.emitter.removeListener("no match", onNoMatch),
  };
}

describe("who may run commands", () => {
  let app: TestApp;
  let dispose: (() => void) | undefined;
  afterEach(() => {
    app?.stop();
    dispose?.();
    dispose = undefined;
    vi.useRealTimers();
  });

  async function setup(body = PLANNED): Promise<NockWorld> {
    const world = new NockWorld(body);
    seedStatusComment(world);
    app = await createTestApp();
    return world;
  }

  it.each([
    { login: "Codertocat", permission: "admin", who: "the owner" },
    { login: "octo-maintainer", permission: "maintain", who: "a maintainer" },
    { login: "octo-writer", permission: "write", who: "a write collaborator" },
  ])("$who ($permission) starts the epic", async ({ login, permission }) => {
    const world = await setup();
    world.permissions[login] = permission;

    await app.receive("issue_comment", issueComment(world, "/orchestra start", { login }));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.agents.map((agent) => agent.branch)).toEqual(["orchestra/1-t1-a1"]);
    expect(world.plainBody).toContain("status=running");
    expect(world.reactions.map((r) => r.content)).toEqual(["rocket"]);
  });

  it.each([
    { login: "octo-reader", permission: "read" },
    { login: "octo-triager", permission: "triage" },
    { login: "passer-by", permission: "none" },
  ])("$login ($permission) gets one polite reply and nothing runs", async ({ login, permission }) => {
    const world = await setup();
    world.permissions[login] = permission;

    await app.receive("issue_comment", issueComment(world, "/orchestra start", { login }));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls).toEqual([commentCall(1, POLITE_COMMAND_REPLY(login))]);
    expect(world.comments.at(-1)!.body).toBe(POLITE_COMMAND_REPLY(login));
    expect(world.agents).toEqual([]);
    expect(world.reactions).toEqual([]);
    expect(world.plainBody).toBe(PLANNED);
  });

  it("treats a user GitHub does not know as a collaborator (404) as having no permission", async () => {
    // Registered before the world's interceptors, so nock answers this one first.
    const lookup = nock(API).get(`${REPO_PATH}/collaborators/ghost/permission`).reply(404, { message: "Not Found" });
    const world = await setup();

    await app.receive("issue_comment", issueComment(world, "/orchestra stop", { login: "ghost" }));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls).toEqual([commentCall(1, POLITE_COMMAND_REPLY("ghost"))]);
    expect(world.comments.at(-1)!.body).toBe(POLITE_COMMAND_REPLY("ghost"));
    expect(lookup.isDone()).toBe(true);
  });

  it("answers a read-only user's /retry on a task's pull request on that pull request", async () => {
    const world = await setup();
    world.permissions["octo-reader"] = "read";
    const pull = world.openPull({ id: "bc-9", status: "RUNNING", branch: "orchestra/1-t1-a1", prompt: "", followups: [] }, "FAILURE");

    await app.receive("issue_comment", issueComment(world, "/retry", { login: "octo-reader", onPull: pull.number }));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls).toEqual([`GET pull #${pull.number}`, commentCall(pull.number, POLITE_COMMAND_REPLY("octo-reader"))]);
    expect(world.comments.at(-1)!.body).toBe(POLITE_COMMAND_REPLY("octo-reader"));
  });

  it.each([
    { login: "orchestra-app[bot]", type: "Bot" as const, who: "Orchestra itself" },
    { login: "dependabot[bot]", type: "Bot" as const, who: "another app" },
    { login: "ci-runner", type: "Bot" as const, who: "a bot account without the [bot] suffix" },
    { login: "renovate[bot]", type: "User" as const, who: "a [bot] login sent as a user" },
  ])("ignores $who without a single request", async ({ login, type }) => {
    const world = await setup();
    const requests = countRequests(world);
    dispose = requests.dispose;

    await app.receive("issue_comment", issueComment(world, "/orchestra stop\n/orchestra start", { login, type }));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.calls).toEqual([]);
    expect(requests.seen).toEqual([]);
    expect(requests.unmatched).toEqual([]);
  });

  it("asks GitHub for a person's permission once a minute at most", async () => {
    // Only Date is faked, before the app exists, so the permission cache reads this clock; timers stay real.
    vi.useFakeTimers({ toFake: ["Date"] });
    const world = await setup();
    world.permissions["octo-writer"] = "write";
    const requests = countRequests(world);
    dispose = requests.dispose;

    // Commands that launch nothing: a running agent's 30 s poll would look overdue once the clock jumps.
    await app.receive("issue_comment", issueComment(world, "/orchestra status", { login: "octo-writer" }));
    await app.settle();
    await app.receive("issue_comment", issueComment(world, "/orchestra help", { login: "octo-writer" }));
    await app.settle();
    expect(requests.permissionLookups()).toHaveLength(1);

    // The cache is per person: someone else is asked about.
    await app.receive("issue_comment", issueComment(world, "/orchestra status", { login: "Codertocat" }));
    await app.settle();
    expect(requests.permissionLookups()).toHaveLength(2);

    // A minute later the answer may have changed (access revoked): GitHub is asked again, and heard.
    world.permissions["octo-writer"] = "read";
    vi.setSystemTime(Date.now() + 61_000);
    await app.receive("issue_comment", issueComment(world, "/orchestra start", { login: "octo-writer" }));
    await app.settle();
    expect(requests.permissionLookups()).toHaveLength(3);
    expect(world.comments.at(-1)!.body).toBe(POLITE_COMMAND_REPLY("octo-writer"));
    expect(planState(world.body)).toBe(planState(PLANNED));
    expect(world.agents).toEqual([]);

    expect(app.failures()).toEqual([]);
    expect(requests.unmatched).toEqual([]);
  });
});

describe("who may make an issue an epic", () => {
  let app: TestApp;
  afterEach(() => app?.stop());

  it("answers a read-only user's epic label politely and plans nothing", async () => {
    const text = "Build a todo app.\n\n- [ ] Add the model\n- [ ] Add the API";
    const world = new NockWorld(text);
    world.permissions["octo-reader"] = "read";
    app = await createTestApp();

    await app.receive("issues", issuesLabeled(text, { login: "octo-reader" }));
    await app.settle();

    expect(app.failures()).toEqual([]);
    const reply =
      "@octo-reader, sorry: only people with write, maintain or admin permission on this repository can make this issue an epic. Nothing was changed.";
    expect(world.calls).toEqual([commentCall(1, reply)]);
    expect(world.comments.map((c) => c.body)).toEqual([reply]);
    expect(world.plainBody).toBe(text);
    expect(world.reactions).toEqual([]);
  });

  it("plans when a write collaborator adds the label (the same checklist is adopted)", async () => {
    const text = "Build a todo app.\n\n- [ ] Add the model\n- [ ] Add the API";
    const world = new NockWorld(text);
    world.permissions["octo-writer"] = "write";
    app = await createTestApp();

    await app.receive("issues", issuesLabeled(text, { login: "octo-writer" }));
    await app.settle();

    expect(app.failures()).toEqual([]);
    expect(world.plainBody).toContain("<!-- orchestra:plan v1");
    expect(world.plainBody).toContain("- [ ] Add the model <!-- orchestra:task id=t1 -->");
    expect(world.reactions.map((r) => r.content)).toEqual(["eyes"]);
  });

  it("ignores a label added by a bot without a single request", async () => {
    const world = new NockWorld("Build a todo app.");
    const requests = countRequests(world);
    app = await createTestApp();

    await app.receive("issues", issuesLabeled("Build a todo app.", { login: "orchestra-app[bot]", type: "Bot" }));
    await app.settle();
    requests.dispose();

    expect(app.failures()).toEqual([]);
    expect(requests.seen).toEqual([]);
    expect(requests.unmatched).toEqual([]);
  });
});
