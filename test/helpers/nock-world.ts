import nock from "nock";
import { CURSOR_URL } from "./app.js";

/**
 * A small model of one repository's GitHub and of Cursor, answered through nock for the
 * integration tests: enough state (issue body, comments, PRs, checks, agents) to run an epic,
 * and a log of every request in order so a test can assert the exact sequence of calls.
 * Test-only; the local sandbox (sandbox/) is the full fake.
 */

export const API = "https://api.github.com";
export const OWNER = "Codertocat";
export const NAME = "Hello-World";
export const REPO_PATH = `/repos/${OWNER}/${NAME}`;

export interface WorldPull {
  number: number;
  branch: string;
  sha: string;
  state: "OPEN" | "CLOSED" | "MERGED";
  checks: "SUCCESS" | "FAILURE" | "PENDING" | "NONE";
  mergeable: "MERGEABLE" | "CONFLICTING" | "UNKNOWN";
  reviews: Array<{ databaseId: number; state: string; body: string; author: { login: string } }>;
}

export interface WorldAgent {
  id: string;
  status: string;
  branch: string;
  prompt: string;
  prUrl?: string;
  followups: string[];
}

export class NockWorld {
  body: string;
  issueState: "OPEN" | "CLOSED" = "OPEN";
  readonly comments: Array<{ id: number; body: string }> = [];
  readonly reactions: Array<{ target: string; content: string }> = [];
  readonly pulls: WorldPull[] = [];
  readonly agents: WorldAgent[] = [];
  readonly merges: Array<{ pr: number; sha: string; checks: string }> = [];
  readonly calls: string[] = [];
  /** Called when an agent is created; the test decides what it does (open a PR, fail…). */
  onLaunch: (agent: WorldAgent) => void = () => {};
  permissions: Record<string, string> = { Codertocat: "admin" };
  private nextId = 1000;
  readonly github: nock.Scope;
  readonly cursor: nock.Scope;

  constructor(body: string) {
    this.body = body;
    this.github = nock(API).persist();
    this.cursor = nock(CURSOR_URL).persist();
    this.mockGitHub();
    this.mockCursor();
  }

  /** Opens the PR an agent would open, with checks in the given state. */
  openPull(agent: WorldAgent, checks: WorldPull["checks"] = "SUCCESS"): WorldPull {
    const pull: WorldPull = {
      number: this.nextId++,
      branch: agent.branch,
      sha: `sha${this.nextId++}`,
      state: "OPEN",
      checks,
      mergeable: "MERGEABLE",
      reviews: [],
    };
    this.pulls.push(pull);
    agent.status = "FINISHED";
    agent.prUrl = `https://github.com/${OWNER}/${NAME}/pull/${pull.number}`;
    return pull;
  }

  pullOf(branch: string): WorldPull | undefined {
    return this.pulls.find((pull) => pull.branch === branch);
  }

  private record(call: string): void {
    this.calls.push(call);
  }

  private mockGitHub(): void {
    this.github
      .post(/\/app\/installations\/\d+\/access_tokens/)
      .reply(201, { token: "ghs_world", expires_at: "2999-01-01T00:00:00Z" })
      .get(`${REPO_PATH}/contents/.github%2Forchestra.yml`)
      .reply(404, { message: "Not Found" })
      .get(new RegExp(`${REPO_PATH}/collaborators/([^/]+)/permission`))
      .reply((uri) => {
        const login = decodeURIComponent(uri.split("/").at(-2)!);
        const permission = this.permissions[login] ?? "none";
        return [200, { permission, role_name: permission, user: { login } }];
      })
      .post("/graphql")
      .reply((_uri, request) => {
        const query = (request as { query: string }).query;
        if (query.includes("query OrchestraIssue")) {
          // The re-read before a write.
          this.record("GET issue");
          return [200, { data: { repository: { issue: this.issueJson() } } }];
        }
        this.record("graphql OrchestraSnapshot");
        return [200, this.snapshot(request as { variables: Record<string, string> })];
      })
      .patch(`${REPO_PATH}/issues/1`)
      .reply((_uri, request) => {
        const update = request as { body?: string; state?: string };
        if (update.body !== undefined) this.body = update.body;
        if (update.state === "closed") this.issueState = "CLOSED";
        this.record(update.state ? `PATCH issue state=${update.state}` : "PATCH issue body");
        return [200, { number: 1 }];
      })
      .get(`${REPO_PATH}/issues/1/comments`)
      .query(true)
      .reply(() => {
        this.record("GET comments");
        return [200, this.comments];
      })
      .post(new RegExp(`${REPO_PATH}/issues/\\d+/comments`))
      .reply((uri, request) => {
        const comment = { id: this.nextId++, body: (request as { body: string }).body };
        this.comments.push(comment);
        this.record(`POST comment on #${uri.split("/").at(-2)}: ${firstLine(comment.body)}`);
        return [201, comment];
      })
      .patch(new RegExp(`${REPO_PATH}/issues/comments/\\d+`))
      .reply((uri, request) => {
        const id = Number(uri.split("/").at(-1));
        const comment = this.comments.find((c) => c.id === id);
        if (comment) comment.body = (request as { body: string }).body;
        this.record("PATCH status comment");
        return [200, comment ?? {}];
      })
      .post(new RegExp(`${REPO_PATH}/issues/(comments/)?\\d+/reactions`))
      .reply((uri, request) => {
        const content = (request as { content: string }).content;
        this.reactions.push({ target: uri, content });
        this.record(`react ${content}`);
        return [201, { id: 1, content }];
      })
      .put(new RegExp(`${REPO_PATH}/pulls/\\d+/merge`))
      .reply((uri, request) => {
        const number = Number(uri.split("/").at(-2));
        const { sha, merge_method } = request as { sha: string; merge_method: string };
        const pull = this.pulls.find((p) => p.number === number)!;
        this.record(`merge #${number} ${merge_method}`);
        if (pull.state !== "OPEN") return [405, { message: "Pull Request is not mergeable" }];
        if (pull.sha !== sha) return [409, { message: "Head branch was modified" }];
        this.merges.push({ pr: number, sha, checks: pull.checks });
        pull.state = "MERGED";
        return [200, { sha: `merge-${number}`, merged: true, message: "Pull Request successfully merged" }];
      })
      .patch(new RegExp(`${REPO_PATH}/pulls/\\d+$`))
      .reply((uri, request) => {
        const pull = this.pulls.find((p) => p.number === Number(uri.split("/").at(-1)))!;
        if ((request as { state?: string }).state === "closed" && pull.state === "OPEN") pull.state = "CLOSED";
        this.record(`close #${pull.number}`);
        return [200, { number: pull.number, state: "closed" }];
      })
      .get(new RegExp(`${REPO_PATH}/pulls/\\d+$`))
      .reply((uri) => {
        const pull = this.pulls.find((p) => p.number === Number(uri.split("/").at(-1)))!;
        this.record(`GET pull #${pull.number}`);
        return [200, { number: pull.number, merged: pull.state === "MERGED", state: pull.state === "OPEN" ? "open" : "closed", head: { sha: pull.sha, ref: pull.branch, repo: { full_name: `${OWNER}/${NAME}` } } }];
      })
      // Octokit percent-encodes the ref's slashes; GitHub accepts both spellings.
      .delete(new RegExp(`${REPO_PATH}/git/refs/heads(/|%2F).+`))
      .reply((uri) => {
        this.record(`DELETE branch ${decodeURIComponent(uri.split("/git/refs/")[1]!).replace(/^heads\//, "")}`);
        return [204];
      });
  }

  private mockCursor(): void {
    this.cursor
      .get("/v0/agents")
      .query(true)
      .reply(() => {
        this.record("cursor list");
        return [200, { agents: this.agents.map((agent) => this.agentJson(agent)) }];
      })
      .post("/v0/agents")
      .reply((_uri, request) => {
        const input = request as { prompt: { text: string }; target: { branchName: string } };
        const agent: WorldAgent = {
          id: `bc-${this.agents.length + 1}`,
          status: "CREATING",
          branch: input.target.branchName,
          prompt: input.prompt.text,
          followups: [],
        };
        this.agents.push(agent);
        this.record(`cursor create ${agent.branch}`);
        this.onLaunch(agent);
        return [201, this.agentJson(agent)];
      })
      .get(/\/v0\/agents\/[^/]+$/)
      .reply((uri) => {
        const agent = this.agents.find((a) => a.id === uri.split("/").at(-1));
        this.record(`cursor get ${agent?.id ?? "?"}`);
        return agent ? [200, this.agentJson(agent)] : [404, { error: "not found" }];
      })
      .post(/\/v0\/agents\/[^/]+\/followup/)
      .reply((uri, request) => {
        const agent = this.agents.find((a) => a.id === uri.split("/").at(-2))!;
        agent.followups.push((request as { prompt: { text: string } }).prompt.text);
        this.record(`cursor followup ${agent.id}`);
        return [200, { id: agent.id }];
      })
      .post(/\/v0\/agents\/[^/]+\/stop/)
      .reply((uri) => {
        const agent = this.agents.find((a) => a.id === uri.split("/").at(-2));
        if (agent && (agent.status === "RUNNING" || agent.status === "CREATING")) agent.status = "FINISHED";
        this.record(`cursor stop ${agent?.id ?? "?"}`);
        return [200, { id: agent?.id }];
      });
  }

  private agentJson(agent: WorldAgent) {
    return {
      id: agent.id,
      name: agent.branch,
      status: agent.status,
      source: { repository: `https://github.com/${OWNER}/${NAME}`, ref: "master" },
      target: { branchName: agent.branch, ...(agent.prUrl ? { prUrl: agent.prUrl } : {}), autoCreatePr: true },
      createdAt: "2026-01-01T00:00:00Z",
    };
  }

  private issueJson() {
    return { number: 1, title: "Epic", body: this.body, state: this.issueState, createdAt: "2026-01-01T00:00:00Z", author: { login: OWNER } };
  }

  private snapshot(request: { variables: Record<string, string> }) {
    const repository: Record<string, unknown> = {
      nameWithOwner: `${OWNER}/${NAME}`,
      deleteBranchOnMerge: false,
      defaultBranchRef: { name: "master" },
      issue: this.issueJson(),
    };
    for (const [key, branch] of Object.entries(request.variables)) {
      if (!/^b\d+$/.test(key)) continue;
      const pull = this.pullOf(branch);
      repository[key] = { nodes: pull ? [pullJson(pull)] : [] };
    }
    return { data: { repository } };
  }
}

function pullJson(pull: WorldPull) {
  const contexts =
    pull.checks === "NONE"
      ? []
      : [
          {
            __typename: "CheckRun",
            databaseId: pull.number * 10,
            name: "ci / test",
            status: pull.checks === "PENDING" ? "IN_PROGRESS" : "COMPLETED",
            conclusion: pull.checks === "PENDING" ? null : pull.checks,
            title: pull.checks === "FAILURE" ? "1 test failed" : "ok",
            summary: pull.checks === "FAILURE" ? "expected 2, got 3" : "",
            detailsUrl: null,
          },
        ];
  return {
    number: pull.number,
    url: `https://github.com/${OWNER}/${NAME}/pull/${pull.number}`,
    state: pull.state,
    merged: pull.state === "MERGED",
    mergeable: pull.mergeable,
    isDraft: false,
    headRefName: pull.branch,
    headRefOid: pull.sha,
    baseRefName: "master",
    headRepository: { nameWithOwner: `${OWNER}/${NAME}` },
    reviews: { nodes: pull.reviews.map((review) => ({ ...review, commit: { oid: pull.sha }, comments: { nodes: [] } })) },
    commits: { nodes: [{ commit: { oid: pull.sha, statusCheckRollup: contexts.length ? { state: pull.checks, contexts: { nodes: contexts } } : null } }] },
  };
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "" && !line.startsWith("<!--"))?.slice(0, 60) ?? "";
}
