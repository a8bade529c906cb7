import nock from "nock";
import { CURSOR_URL } from "./app.js";
import { ISSUE_NODE_ID, signBody, withoutMacs } from "./signing.js";

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
  reviews: Array<{ databaseId: number; state: string; body: string; author: { login: string }; authorCanPushToRepository?: boolean; commit?: { oid: string } }>;
  /** A fork's PR on the branch name, or one aimed at another base. */
  headRepository?: string;
  baseRefName?: string;
  createdAt?: string;
  /** Every check context at the head, when the test needs more than the one `checks` stands for. */
  contexts?: WorldCheck[];
  /** GitHub's verdict when the test sets it; otherwise derived from `protection`, the base and the checks. */
  mergeStateStatus?: string;
  /** The base branch's head this PR's head contains; behind when it differs from the world's `baseSha`. */
  baseSha?: string;
  /** When the head commit was made. */
  committedAt?: string;
  /** How GitHub refuses a merge of this PR, as it sends it (status and body). */
  refuseMerge?: { status: number; body: Record<string, unknown> };
}

/** A check run (or, `status`, a commit status) at a PR's head. */
export interface WorldCheck {
  name: string;
  status: "QUEUED" | "IN_PROGRESS" | "COMPLETED";
  conclusion?: "SUCCESS" | "FAILURE" | "NEUTRAL" | "SKIPPED" | "CANCELLED" | "TIMED_OUT";
  summary?: string;
  kind?: "check" | "status";
  /** The App that created the check run (GraphQL `checkSuite.app.databaseId`); absent: GitHub Actions. */
  appId?: number;
}

/** The base branch's protection as GitHub enforces it (classic rules or rulesets, seen alike). */
export interface WorldProtection {
  checks: string[];
  /** Branches must be up to date with the base before merging. */
  strict?: boolean;
  approvals?: number;
}

/** GitHub's answers to merges it refuses, word for word. */
export const MERGE_REFUSALS = {
  notMergeable: { status: 405, body: { message: "Pull Request is not mergeable", documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request", status: "405" } },
  headModified: { status: 409, body: { message: "Head branch was modified. Review and try the merge again.", documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request", status: "409" } },
  workflows: { status: 403, body: { message: "refusing to allow a GitHub App to create or update workflow `.github/workflows/ci.yml` without `workflows` permission", documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request", status: "403" } },
  requiredCheck: (name: string) => ({ status: 405, body: { message: `Required status check "${name}" is expected.`, documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request", status: "405" } }),
  rulesetCheck: (name: string) => ({ status: 422, body: { message: `Repository rule violations found\n\nRequired status check "${name}" is expected.\n\n`, documentation_url: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request", status: "422" } }),
} as const;

/** The App's slug in these tests: its bot is `orchestra[bot]`, `orchestra` in GraphQL. */
export const APP_SLUG = "orchestra";

export interface WorldComment {
  id: number;
  body: string;
  /** On the world's clock, like its edits; absent for comments a test pushes by hand. */
  createdAt?: string;
  byApp?: boolean;
  /** The issue or PR it is on; the epic (1) when absent. */
  issue?: number;
  author?: string;
  bot?: boolean;
}

export interface WorldEdit {
  editor: { login: string; type: "User" | "Bot" } | null;
  at: string;
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
  /** The body the world started with. */
  readonly initialBody: string;
  title = "Epic";
  issueState: "OPEN" | "CLOSED" = "OPEN";
  labels: string[] = ["epic"];
  /** GitHub's history of body edits and title renames, oldest first. */
  readonly edits: WorldEdit[] = [];
  readonly renames: WorldEdit[] = [];
  /** Who added which label, oldest first (the timeline's LabeledEvent). */
  readonly labelEvents: Array<{ login: string; name: string; at: string }> = [{ login: "Codertocat", name: "epic", at: "2026-01-01T11:00:00Z" }];
  /**
   * Comments on the epic (issue 1) and its PRs (`issue`), oldest first. `byApp`: written by
   * Orchestra (GraphQL's `viewerDidAuthor`); `author`: a person's login.
   */
  readonly comments: WorldComment[] = [];
  readonly reactions: Array<{ target: string; content: string }> = [];
  readonly pulls: WorldPull[] = [];
  readonly agents: WorldAgent[] = [];
  readonly merges: Array<{ pr: number; sha: string; checks: string }> = [];
  readonly calls: string[] = [];
  /** Called when an agent is created; the test decides what it does (open a PR, fail…). */
  onLaunch: (agent: WorldAgent) => void = () => {};
  permissions: Record<string, string> = { Codertocat: "admin" };
  /** The next body writes GitHub answers with a 500 (counted down). */
  failBodyWrites = 0;
  /** `.github/orchestra.yml` on the default branch; none when undefined. */
  configText: string | undefined;
  /** The default branch's protection; none when undefined. */
  protection: WorldProtection | undefined;
  /** The default branch's head. */
  baseSha = "base0";
  /** Called when a PR's branch is updated with its base (GitHub merges the base into it). */
  onUpdateBranch: (pull: WorldPull) => void = () => {};
  private nextId = 1000;
  readonly github: nock.Scope;
  readonly cursor: nock.Scope;

  /** `body` is signed as Orchestra would have written it, unless `signed` is false (someone typed it). */
  constructor(body: string, options: { signed?: boolean } = {}) {
    this.body = options.signed === false ? body : signBody(body);
    this.initialBody = this.body;
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

  /** The body without the attributes that authenticate it: see withoutMacs. */
  get plainBody(): string {
    return withoutMacs(this.body);
  }

  /** A comment a person (or a bot) posts, with the next id GitHub would give it, or `id`. */
  addComment(body: string, author: string, options: { issue?: number; bot?: boolean; id?: number } = {}): number {
    const id = options.id ?? this.nextId++;
    this.nextId = Math.max(this.nextId, id + 1);
    this.comments.push({ id, body, author, byApp: false, issue: options.issue ?? 1, createdAt: this.tick(), ...(options.bot ? { bot: true } : {}) });
    return id;
  }

  /** A person edits the description in GitHub's UI: the edit is in the history, no webhook is sent. */
  editBody(body: string, login: string): void {
    this.body = body;
    this.recordEdit({ login, type: "User" });
  }

  /** A person renames the issue. */
  rename(title: string, login: string): void {
    this.title = title;
    this.renames.push({ editor: { login, type: "User" }, at: this.tick() });
  }

  private clock = Date.UTC(2026, 0, 1, 12, 0, 0);
  private tick(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  private recordEdit(editor: WorldEdit["editor"]): void {
    this.edits.push({ editor, at: this.tick() });
  }

  private record(call: string): void {
    this.calls.push(call);
  }

  private mockGitHub(): void {
    this.github
      .post(/\/app\/installations\/\d+\/access_tokens/)
      .reply(201, { token: "ghs_world", expires_at: "2999-01-01T00:00:00Z" })
      .get("/app")
      .reply(200, { id: 1, slug: APP_SLUG, name: "Orchestra" })
      .get(`${REPO_PATH}/contents/.github%2Forchestra.yml`)
      .reply(() => (this.configText === undefined ? [404, { message: "Not Found" }] : [200, this.configText]))
      .get(new RegExp(`${REPO_PATH}/collaborators/([^/]+)/permission`))
      .reply((uri) => {
        const login = decodeURIComponent(uri.split("/").at(-2)!);
        const permission = this.permissions[login] ?? "none";
        if (permission === "__error__") return [502, { message: "Server Error" }];
        return [200, { permission, role_name: permission, user: { login } }];
      })
      .post("/graphql")
      .reply((_uri, request) => {
        const query = (request as { query: string }).query;
        if (query.includes("mutation OrchestraWritesMutation")) return [200, this.writeBatch(request as { query: string; variables: Record<string, Record<string, string>> })];
        if (query.includes("query OrchestraIssue")) {
          // The re-read before a write.
          this.record("GET issue");
          return [200, { data: { repository: { issue: this.issueJson() } } }];
        }
        if (query.includes("query OrchestraComments")) {
          this.record("GET comments");
          const nodes = this.commentsOn(1).map((c) => ({ ...commentJson(c), viewerDidAuthor: c.byApp === true }));
          return [200, { data: { repository: { issue: { comments: { nodes, pageInfo: { hasPreviousPage: false, startCursor: null } } } } } }];
        }
        if (query.includes("query OrchestraPull(")) {
          const { number } = (request as { variables: { number: number } }).variables;
          this.record(`graphql OrchestraPull #${number}`);
          const pull = this.pulls.find((p) => p.number === number);
          return [200, { data: { repository: { nameWithOwner: `${OWNER}/${NAME}`, pullRequest: pull ? { ...pullJson(pull, this), comments: { nodes: [] } } : null } } }];
        }
        if (query.includes("query OrchestraLabeledBy")) {
          this.record("GET label events");
          const nodes = this.labelEvents.map((event) => ({ createdAt: event.at, actor: { __typename: "User", login: event.login }, label: { name: event.name } }));
          return [200, { data: { repository: { issue: { timelineItems: { nodes } } } } }];
        }
        if (query.includes("query OrchestraCheckContexts")) {
          const { oid, after } = (request as { variables: { oid: string; after: string } }).variables;
          this.record(`GET check contexts after ${after}`);
          const pull = this.pulls.find((p) => p.sha === oid)!;
          return [200, { data: { repository: { object: { statusCheckRollup: rollupJson(pull, Number(after)) } } } }];
        }
        if (query.includes("query OrchestraEditHistory")) {
          this.record("GET edit history");
          return [200, { data: { repository: { issue: this.historyJson() } } }];
        }
        this.record("graphql OrchestraSnapshot");
        return [200, this.snapshot(request as { variables: Record<string, string> })];
      })
      .patch(`${REPO_PATH}/issues/1`)
      .reply((_uri, request) => {
        const update = request as { body?: string; state?: string };
        if (update.body !== undefined && this.failBodyWrites > 0) {
          this.failBodyWrites--;
          this.record("PATCH issue body → 500");
          return [500, { message: "Server Error" }];
        }
        if (update.body !== undefined) {
          this.body = update.body;
          this.recordEdit({ login: `${APP_SLUG}[bot]`, type: "Bot" });
        }
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
        const comment = { id: this.nextId++, body: (request as { body: string }).body, byApp: true, issue: Number(uri.split("/").at(-2)) };
        this.comments.push(comment);
        this.record(`POST comment on #${uri.split("/").at(-2)}: ${firstLine(comment.body)}`);
        return [201, comment];
      })
      .patch(new RegExp(`${REPO_PATH}/issues/comments/\\d+`))
      .reply((uri, request) => {
        const id = Number(uri.split("/").at(-1));
        const comment = this.comments.find((c) => c.id === id);
        this.record("PATCH status comment");
        if (!comment) return [404, { message: "Not Found" }];
        comment.body = (request as { body: string }).body;
        return [200, comment];
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
        const refusal = this.mergeRefusal(pull, sha);
        if (refusal) return [refusal.status, refusal.body];
        this.merges.push({ pr: number, sha, checks: pull.checks });
        pull.state = "MERGED";
        return [200, { sha: `merge-${number}`, merged: true, message: "Pull Request successfully merged" }];
      })
      .put(new RegExp(`${REPO_PATH}/pulls/\\d+/update-branch`))
      .reply((uri, request) => {
        const number = Number(uri.split("/").at(-2));
        const pull = this.pulls.find((p) => p.number === number)!;
        this.record(`update-branch #${number}`);
        const expected = (request as { expected_head_sha?: string }).expected_head_sha;
        if (expected !== undefined && expected !== pull.sha) {
          return [422, { message: "expected head sha didn’t match current head ref.", documentation_url: "https://docs.github.com/rest/pulls/pulls#update-a-pull-request-branch", status: "422" }];
        }
        if (pull.mergeable === "CONFLICTING") return [422, { message: "merge conflict between base and head", status: "422" }];
        // GitHub merges the base into the branch: a new head, whose checks start over.
        pull.sha = `${pull.sha}u`;
        pull.baseSha = this.baseSha;
        pull.checks = "PENDING";
        pull.contexts = pull.contexts?.map((check) => ({ name: check.name, kind: check.kind ?? "check", status: "QUEUED" as const }));
        this.onUpdateBranch(pull);
        return [202, { message: "Updating pull request branch.", url: `https://github.com/${OWNER}/${NAME}/pull/${number}` }];
      })
      .patch(new RegExp(`${REPO_PATH}/pulls/\\d+$`))
      .reply((uri, request) => {
        const pull = this.pulls.find((p) => p.number === Number(uri.split("/").at(-1)))!;
        if ((request as { state?: string }).state === "closed" && pull.state === "OPEN") pull.state = "CLOSED";
        this.record(`close #${pull.number}`);
        return [200, { number: pull.number, state: "closed" }];
      })
      .get(`${REPO_PATH}/pulls`)
      .query(true)
      .reply((uri) => {
        const head = new URL(uri, API).searchParams.get("head")?.split(":").slice(1).join(":");
        this.record(`GET pulls of ${head}`);
        return [200, this.pulls.filter((pull) => pull.branch === head && pull.state === "OPEN" && !pull.headRepository).map((pull) => ({ number: pull.number }))];
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

  /** GitHub's verdict on merging `pull` now, from the protection, the base and the checks. */
  mergeStateOf(pull: WorldPull): string {
    if (pull.mergeStateStatus) return pull.mergeStateStatus;
    if (pull.mergeable === "CONFLICTING") return "DIRTY";
    if (pull.mergeable === "UNKNOWN") return "UNKNOWN";
    const protection = this.protection;
    if (protection) {
      if (protection.strict && (pull.baseSha ?? this.baseSha) !== this.baseSha) return "BEHIND";
      const checks = contextsOf(pull);
      const green = (name: string) => checks.some((check) => check.name === name && check.status === "COMPLETED" && check.conclusion === "SUCCESS");
      if (!protection.checks.every(green)) return "BLOCKED";
      const approvals = pull.reviews.filter((review) => review.state === "APPROVED").length;
      if (approvals < (protection.approvals ?? 0)) return "BLOCKED";
    }
    return pull.checks === "SUCCESS" || pull.checks === "NONE" ? "CLEAN" : "UNSTABLE";
  }

  /** What GitHub answers to a merge of `pull` at `sha` it will not do, or undefined when it merges. */
  private mergeRefusal(pull: WorldPull, sha: string): { status: number; body: Record<string, unknown> } | undefined {
    if (pull.state !== "OPEN") return MERGE_REFUSALS.notMergeable;
    if (pull.sha !== sha) return MERGE_REFUSALS.headModified;
    if (pull.refuseMerge) return pull.refuseMerge;
    const state = this.mergeStateOf(pull);
    if (state === "BLOCKED") {
      const checks = contextsOf(pull);
      const missing = this.protection?.checks.find((name) => !checks.some((check) => check.name === name && check.conclusion === "SUCCESS"));
      return missing ? MERGE_REFUSALS.requiredCheck(missing) : MERGE_REFUSALS.notMergeable;
    }
    if (state === "BEHIND" || state === "DIRTY") return MERGE_REFUSALS.notMergeable;
    return undefined;
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

  /** Orchestra's batched writes, recorded like the REST writes they stand for. */
  private writeBatch(request: { query: string; variables: Record<string, Record<string, string>> }) {
    const data: Record<string, unknown> = {};
    const mutations = [...request.query.matchAll(/(w\d+): (\w+)\(input: \$i\d+\)/g)];
    // One request: one line for it, then what each of its writes did.
    this.record(`graphql OrchestraWritesMutation: ${mutations.map(([, , field]) => field).join(", ")}`);
    for (const [, alias, field] of mutations) {
      const input = request.variables[`i${alias!.slice(1)}`]!;
      if (field === "updateIssue") {
        this.body = input.body!;
        this.recordEdit({ login: `${APP_SLUG}[bot]`, type: "Bot" });
        this.record("PATCH issue body");
      } else if (field === "closeIssue") {
        this.issueState = "CLOSED";
        this.record("PATCH issue state=closed");
      } else if (field === "addComment") {
        const comment = { id: this.nextId++, body: input.body!, byApp: true, issue: 1 };
        this.comments.push(comment);
        this.record(`POST comment on #1: ${firstLine(comment.body)}`);
        data[alias!] = { commentEdge: { node: { databaseId: comment.id } } };
        continue;
      } else if (field === "updateIssueComment") {
        const comment = this.comments.find((c) => `IC_${c.id}` === input.id);
        this.record("PATCH status comment");
        if (comment) comment.body = input.body!;
      } else if (field === "deleteRef") {
        this.record(`DELETE branch ${input.refId}`);
      }
      data[alias!] = { clientMutationId: null };
    }
    return { data };
  }

  private issueJson() {
    return {
      id: ISSUE_NODE_ID,
      number: 1,
      title: this.title,
      body: this.body,
      state: this.issueState,
      createdAt: "2026-01-01T00:00:00Z",
      labels: { nodes: this.labels.map((name) => ({ name })) },
      userContentEdits: { totalCount: this.edits.length },
      timelineItems: { totalCount: this.renames.length },
      comments: { nodes: this.commentsOn(1).slice(-50).map(commentJson), pageInfo: { hasPreviousPage: this.commentsOn(1).length > 50, startCursor: null } },
    };
  }

  commentsOn(issue: number): WorldComment[] {
    return this.comments.filter((comment) => (comment.issue ?? 1) === issue);
  }

  /** GitHub's edit history as OrchestraEditHistory asks for it (oldest first, both ends). */
  private historyJson() {
    const actor = (editor: WorldEdit["editor"]) =>
      editor && { __typename: editor.type, login: editor.type === "Bot" ? editor.login.replace(/\[bot\]$/, "") : editor.login };
    const edits = this.edits.map((edit, i) => ({ id: `UCE_${i}`, editedAt: edit.at, editor: actor(edit.editor) }));
    const renames = this.renames.map((rename, i) => ({ id: `RTE_${i}`, createdAt: rename.at, actor: actor(rename.editor) }));
    return {
      editsHead: { totalCount: edits.length, nodes: edits.slice(0, 20) },
      editsTail: { nodes: edits.slice(-20) },
      renamesHead: { totalCount: renames.length, nodes: renames.slice(0, 20) },
      renamesTail: { nodes: renames.slice(-20) },
    };
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
      const pulls = this.pulls.filter((pull) => pull.branch === branch).reverse();
      repository[key] = { nodes: pulls.slice(0, 20).map((pull) => ({ ...pullJson(pull, this), comments: { nodes: this.commentsOn(pull.number).slice(-20).map(commentJson) } })) };
    }
    return { data: { repository } };
  }
}

/** The contexts GitHub lists at the head: the test's own, or the one `checks` stands for. */
function contextsOf(pull: WorldPull): WorldCheck[] {
  if (pull.contexts) return pull.contexts;
  if (pull.checks === "NONE") return [];
  return [
    {
      name: "ci / test",
      status: pull.checks === "PENDING" ? "IN_PROGRESS" : "COMPLETED",
      ...(pull.checks === "PENDING" ? {} : { conclusion: pull.checks }),
      summary: pull.checks === "FAILURE" ? "expected 2, got 3" : "",
    },
  ];
}

/** GitHub serves at most 100 contexts a page; `from` is where the page starts (the cursor). */
const CONTEXTS_PER_PAGE = 100;

function rollupJson(pull: WorldPull, from = 0) {
  const all = contextsOf(pull);
  if (all.length === 0) return null;
  const page = all.slice(from, from + CONTEXTS_PER_PAGE);
  const nodes = page.map((check, i) =>
    check.kind === "status"
      ? {
          __typename: "StatusContext",
          context: check.name,
          state: check.status !== "COMPLETED" ? "PENDING" : check.conclusion === "SUCCESS" ? "SUCCESS" : "FAILURE",
          description: check.summary ?? null,
          targetUrl: null,
        }
      : {
          __typename: "CheckRun",
          databaseId: pull.number * 1000 + from + i,
          name: check.name,
          status: check.status,
          conclusion: check.status === "COMPLETED" ? (check.conclusion ?? "SUCCESS") : null,
          title: check.conclusion === "FAILURE" ? "1 test failed" : "ok",
          summary: check.summary ?? "",
          detailsUrl: null,
          checkSuite: { app: { databaseId: check.appId ?? 15368 } },
        },
  );
  const failed = all.some((check) => check.status === "COMPLETED" && !["SUCCESS", "NEUTRAL", "SKIPPED"].includes(check.conclusion ?? "SUCCESS"));
  const pending = all.some((check) => check.status !== "COMPLETED");
  const end = from + page.length;
  return {
    state: failed ? "FAILURE" : pending ? "PENDING" : "SUCCESS",
    contexts: { nodes, pageInfo: { hasNextPage: end < all.length, endCursor: String(end) } },
  };
}

function pullJson(pull: WorldPull, world: NockWorld) {
  const protection = world.protection;
  return {
    number: pull.number,
    url: `https://github.com/${OWNER}/${NAME}/pull/${pull.number}`,
    state: pull.state,
    merged: pull.state === "MERGED",
    mergeable: pull.mergeable,
    mergeStateStatus: pull.state === "OPEN" ? world.mergeStateOf(pull) : "UNKNOWN",
    reviewDecision: protection?.approvals
      ? pull.reviews.filter((review) => review.state === "APPROVED").length >= protection.approvals
        ? "APPROVED"
        : "REVIEW_REQUIRED"
      : null,
    isDraft: false,
    headRefName: pull.branch,
    headRefOid: pull.sha,
    baseRefName: pull.baseRefName ?? "master",
    baseRefOid: world.baseSha,
    baseRef: {
      refUpdateRule: protection
        ? {
            requiredStatusCheckContexts: protection.checks,
            requiredApprovingReviewCount: protection.approvals ?? null,
            requiresCodeOwnerReviews: false,
            requiresConversationResolution: false,
          }
        : null,
    },
    headRepository: { nameWithOwner: pull.headRepository ?? `${OWNER}/${NAME}` },
    createdAt: pull.createdAt ?? "2026-01-01T12:00:00Z",
    reviews: {
      nodes: pull.reviews.map((review) => ({
        authorCanPushToRepository: true,
        commit: { oid: pull.sha },
        ...review,
        comments: { nodes: [] },
      })),
    },
    commits: {
      nodes: [{ commit: { oid: pull.sha, committedDate: pull.committedAt ?? "2026-01-01T12:00:00Z", statusCheckRollup: rollupJson(pull) } }],
    },
  };
}

function commentJson(comment: WorldComment) {
  const bot = comment.byApp || comment.bot;
  const login = comment.byApp ? "orchestra" : (comment.author ?? "Codertocat").replace(/\[bot\]$/, "");
  return { databaseId: comment.id, body: comment.body, ...(comment.createdAt ? { createdAt: comment.createdAt } : {}), author: { __typename: bot ? "Bot" : "User", login } };
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "" && !line.startsWith("<!--"))?.slice(0, 60) ?? "";
}
