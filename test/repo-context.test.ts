import fc from "fast-check";
import nock from "nock";
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import {
  collectRepoContext,
  MAX_CONTEXT_CHARS,
  MAX_MANIFEST_CHARS,
  MAX_README_CHARS,
  renderRepoContext,
  type RepoContext,
} from "../src/github/repo-context.js";

const API = "https://api.github.com";
const REPO = { owner: "acme", repo: "shop" };

function octokit() {
  return new ProbotOctokit({ auth: { token: "test" }, retry: { enabled: false }, throttle: { enabled: false } });
}

function entry(name: string, type: "file" | "dir" = "file") {
  return { name, path: name, type, sha: "0".repeat(40), size: 10, url: `${API}/repos/acme/shop/contents/${name}` };
}

/** The raw media type: GitHub answers with the file's bytes instead of base64 JSON. */
const RAW = /application\/vnd\.github\.v3\.raw/;
const TEXT = { "content-type": "text/plain; charset=utf-8" };

describe("collectRepoContext", () => {
  it("reads the listing, the README and the first three manifests in order of preference", async () => {
    const listing = [
      entry(".github", "dir"),
      entry("Cargo.toml"),
      entry("Gemfile"),
      entry("README.md"),
      entry("go.mod"),
      entry("package.json"),
      entry("pyproject.toml"),
      entry("src", "dir"),
    ];
    const scope = nock(API)
      .get("/repos/acme/shop/contents")
      .reply(200, listing)
      .get("/repos/acme/shop/readme")
      .matchHeader("accept", RAW)
      .reply(200, "# Shop\n\nSells things.", TEXT)
      .get("/repos/acme/shop/contents/package.json")
      .matchHeader("accept", RAW)
      .reply(200, '{"name":"shop"}', TEXT)
      .get("/repos/acme/shop/contents/pyproject.toml")
      .matchHeader("accept", RAW)
      .reply(200, '[project]\nname = "shop"', TEXT)
      .get("/repos/acme/shop/contents/Cargo.toml")
      .matchHeader("accept", RAW)
      // Bytes with a content type that is neither text nor JSON must still be read as text.
      .reply(200, Buffer.from('[package]\nname = "shop"'), { "content-type": "application/vnd.github.raw" });

    const context = await collectRepoContext(octokit(), REPO);

    expect(context).toEqual({
      tree: [".github/", "Cargo.toml", "Gemfile", "README.md", "go.mod", "package.json", "pyproject.toml", "src/"],
      readme: "# Shop\n\nSells things.",
      manifests: [
        { path: "package.json", content: '{"name":"shop"}' },
        { path: "pyproject.toml", content: '[project]\nname = "shop"' },
        { path: "Cargo.toml", content: '[package]\nname = "shop"' },
      ],
    });
    expect(scope.isDone()).toBe(true);
  });

  it("treats a missing README as absent and reads at the given ref", async () => {
    const scope = nock(API)
      .get("/repos/acme/shop/contents")
      .query({ ref: "feature" })
      .reply(200, [entry("go.mod"), entry("main.go")])
      .get("/repos/acme/shop/readme")
      .query({ ref: "feature" })
      .reply(404, { message: "Not Found" })
      .get("/repos/acme/shop/contents/go.mod")
      .query({ ref: "feature" })
      .reply(200, "module example.com/shop\n", TEXT);

    const context = await collectRepoContext(octokit(), { ...REPO, ref: "feature" });

    expect(context).toEqual({
      tree: ["go.mod", "main.go"],
      manifests: [{ path: "go.mod", content: "module example.com/shop\n" }],
    });
    expect(scope.isDone()).toBe(true);
  });

  it("returns an empty context for an empty repository", async () => {
    const scope = nock(API)
      .get("/repos/acme/shop/contents")
      .reply(404, { message: "This repository is empty." })
      .get("/repos/acme/shop/readme")
      .reply(404, { message: "Not Found" });

    expect(await collectRepoContext(octokit(), REPO)).toEqual({ tree: [], manifests: [] });
    expect(scope.isDone()).toBe(true);
  });

  it("caps the README and manifests", async () => {
    const scope = nock(API)
      .get("/repos/acme/shop/contents")
      .reply(200, [entry("requirements.txt")])
      .get("/repos/acme/shop/readme")
      .reply(200, "r".repeat(10_000), TEXT)
      .get("/repos/acme/shop/contents/requirements.txt")
      .reply(200, "flask\n".repeat(1_000), TEXT);

    const context = await collectRepoContext(octokit(), REPO);

    expect(context.readme).toHaveLength(MAX_README_CHARS);
    expect(context.readme).toMatch(/…\(truncated\)$/);
    expect(context.manifests[0]?.content).toHaveLength(MAX_MANIFEST_CHARS);
    expect(scope.isDone()).toBe(true);
  });

  it("lets failures other than 404 reach the caller", async () => {
    const scope = nock(API)
      .get("/repos/acme/shop/contents")
      .reply(500, { message: "Server Error" })
      .get("/repos/acme/shop/readme")
      .reply(200, "# Shop", TEXT);

    await expect(collectRepoContext(octokit(), REPO)).rejects.toMatchObject({ status: 500 });
    expect(scope.isDone()).toBe(true);
  });
});

describe("renderRepoContext", () => {
  it("shows the listing, then manifests, then the README, each fenced", () => {
    const text = renderRepoContext({
      tree: ["src/", "package.json"],
      readme: "# Shop\n\n```sh\nnpm test\n```",
      manifests: [{ path: "package.json", content: '{"name":"shop"}' }],
    });
    expect(text).toMatchInlineSnapshot(`
      "Top-level files: src/, package.json

      package.json:
      \`\`\`
      {"name":"shop"}
      \`\`\`

      README (excerpt):
      \`\`\`\`
      # Shop

      \`\`\`sh
      npm test
      \`\`\`
      \`\`\`\`"
    `);
  });

  it("is empty for an empty repository", () => {
    expect(renderRepoContext({ tree: [], manifests: [] })).toBe("");
  });

  it("never exceeds the cap", () => {
    const context: fc.Arbitrary<RepoContext> = fc.record(
      {
        tree: fc.array(fc.string({ maxLength: 40 }), { maxLength: 400 }),
        readme: fc.string({ maxLength: MAX_README_CHARS }),
        manifests: fc.array(
          fc.record({ path: fc.constantFrom("package.json", "go.mod"), content: fc.string({ maxLength: MAX_MANIFEST_CHARS }) }),
          { maxLength: 3 },
        ),
      },
      { requiredKeys: ["tree", "manifests"] },
    );
    fc.assert(
      fc.property(context, (ctx) => {
        expect(renderRepoContext(ctx).length).toBeLessThanOrEqual(MAX_CONTEXT_CHARS);
      }),
      { numRuns: 50 },
    );
  });
});
