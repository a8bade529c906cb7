/**
 * SANDBOX FAKE — never part of src/. Check runs an App creates through the checks API (Orchestra's
 * audit), and a pull request's changed files with patches as `GET …/pulls/{n}/files` lists them.
 */
import { ApiError } from "./errors.js";
import type { CheckAnnotation, CheckConclusion, CheckRun, Commit, Pull, Repo } from "./state.js";
import { blobSha, isoNow, nodeId } from "./state.js";
import type { World } from "./world.js";

type AnnotationInput = { path: string; start_line: number; end_line: number; annotation_level: CheckAnnotation["level"]; message: string; title?: string };

export interface CheckRunInput {
  name: string;
  head_sha: string;
  status?: CheckRun["status"];
  conclusion?: CheckConclusion;
  external_id?: string;
  output?: { title: string; summary: string; text?: string; annotations?: AnnotationInput[] };
}

/** GitHub refuses more than 50 annotations in one request. */
const MAX_ANNOTATIONS = 50;

function annotations(input: AnnotationInput[] | undefined): CheckAnnotation[] {
  if ((input?.length ?? 0) > MAX_ANNOTATIONS) throw new ApiError(422, `Only ${MAX_ANNOTATIONS} annotations are allowed per request`);
  return (input ?? []).map((entry) => ({
    path: entry.path,
    startLine: entry.start_line,
    endLine: entry.end_line,
    level: entry.annotation_level,
    message: entry.message,
    title: entry.title ?? null,
  }));
}

/** A check run created by `appId` on a commit of the repository, in that App's suite of the commit. */
export function createCheckRun(world: World, repo: Repo, appId: number, input: CheckRunInput): CheckRun {
  if (!repo.commits.has(input.head_sha)) throw new ApiError(422, `No commit found for SHA: ${input.head_sha}`);
  const completed = input.conclusion !== undefined || input.status === "completed";
  if (completed && input.conclusion === undefined) throw new ApiError(422, "conclusion is required when status is completed");
  const now = isoNow();
  const suiteId = world.state.newId();
  repo.checkSuites.push({
    id: suiteId,
    nodeId: nodeId("CheckSuite", suiteId),
    headSha: input.head_sha,
    headBranch: [...repo.branches].find(([, sha]) => sha === input.head_sha)?.[0] ?? null,
    before: null,
    status: completed ? "completed" : (input.status ?? "queued"),
    conclusion: input.conclusion ?? null,
    createdAt: now,
    updatedAt: now,
    appId,
  });
  const id = world.state.newId();
  const run: CheckRun = {
    id,
    nodeId: nodeId("CheckRun", id),
    suiteId,
    name: input.name,
    headSha: input.head_sha,
    status: completed ? "completed" : (input.status ?? "queued"),
    conclusion: input.conclusion ?? null,
    startedAt: now,
    completedAt: completed ? now : null,
    title: input.output?.title ?? null,
    summary: input.output?.summary ?? null,
    text: input.output?.text ?? null,
    externalId: input.external_id ?? "",
    appId,
    annotations: annotations(input.output?.annotations),
  };
  repo.checkRuns.push(run);
  world.transcript.record("check", `${input.name} ${run.conclusion ?? run.status} on ${input.head_sha.slice(0, 7)}${run.title ? `: ${run.title}` : ""}`);
  return run;
}

/** Only the App that created a run may update it; annotations are added to the ones it has. */
export function updateCheckRun(world: World, repo: Repo, appId: number, checkRunId: number, input: Partial<CheckRunInput>): CheckRun {
  const run = repo.checkRuns.find((candidate) => candidate.id === checkRunId);
  if (!run) throw new ApiError(404, "Not Found");
  if (run.appId !== appId) throw new ApiError(403, "Invalid app_id `" + appId + "` - check run can only be modified by the GitHub App that created it.");
  if (input.output) {
    run.title = input.output.title;
    run.summary = input.output.summary;
    if (input.output.text !== undefined) run.text = input.output.text;
    run.annotations = [...(run.annotations ?? []), ...annotations(input.output.annotations)];
  }
  if (input.conclusion !== undefined) {
    run.status = "completed";
    run.conclusion = input.conclusion;
    run.completedAt = isoNow();
  }
  world.transcript.record("check", `${run.name} on ${run.headSha.slice(0, 7)} updated (${run.annotations?.length ?? 0} annotations)`);
  return run;
}

export interface FileChange {
  path: string;
  before: string | null;
  after: string | null;
}

/** The files the PR's head changed since it left its base branch's history, with their old and new text. */
export function pullChanges(world: World, repo: Repo, pull: Pull): FileChange[] {
  const baseSha = repo.branches.get(pull.baseRef) ?? "";
  const chain: Commit[] = [];
  let current: string | undefined = pull.headSha;
  const seen = new Set<string>();
  while (current && !seen.has(current) && !world.state.isAncestor(repo, current, baseSha)) {
    seen.add(current);
    const commit = repo.commits.get(current);
    if (!commit) break;
    chain.push(commit);
    current = commit.parents[0];
  }
  const forkFiles = (current ? repo.commits.get(current)?.files : undefined) ?? new Map<string, string>();
  const headFiles = repo.commits.get(pull.headSha)?.files ?? new Map<string, string>();
  const paths = new Set<string>();
  for (const commit of chain) for (const path of commit.changes.keys()) paths.add(path);
  return [...paths]
    .sort()
    .map((path) => ({ path, before: forkFiles.get(path) ?? null, after: headFiles.get(path) ?? null }))
    .filter((change) => change.before !== change.after);
}

/** `diff-entry` as GitHub lists it: one hunk from the first to the last changed line. */
export function diffEntry(base: { api: string; web: string; fullName: string; headSha: string }, change: FileChange): Record<string, unknown> {
  const old = change.before === null ? [] : lines(change.before);
  const now = change.after === null ? [] : lines(change.after);
  let start = 0;
  while (start < old.length && start < now.length && old[start] === now[start]) start++;
  let endOld = old.length;
  let endNew = now.length;
  while (endOld > start && endNew > start && old[endOld - 1] === now[endNew - 1]) {
    endOld--;
    endNew--;
  }
  const removed = old.slice(start, endOld);
  const added = now.slice(start, endNew);
  const patch = [`@@ -${removed.length ? start + 1 : start},${removed.length} +${added.length ? start + 1 : start},${added.length} @@`, ...removed.map((line) => `-${line}`), ...added.map((line) => `+${line}`)].join("\n");
  const status = change.before === null ? "added" : change.after === null ? "removed" : "modified";
  const path = encodeURIComponent(change.path).replace(/%2F/g, "/");
  return {
    sha: blobSha(change.after ?? change.before ?? ""),
    filename: change.path,
    status,
    additions: added.length,
    deletions: removed.length,
    changes: added.length + removed.length,
    blob_url: `${base.web}/${base.fullName}/blob/${base.headSha}/${path}`,
    raw_url: `${base.web}/${base.fullName}/raw/${base.headSha}/${path}`,
    contents_url: `${base.api}/repos/${base.fullName}/contents/${path}?ref=${base.headSha}`,
    patch,
  };
}

function lines(text: string): string[] {
  const split = text.split("\n");
  if (split.at(-1) === "") split.pop();
  return split;
}
