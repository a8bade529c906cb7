import type { Logger } from "pino";
import type { AuditResult, AuditVerdict, TokenUsage } from "../llm/audit-types.js";
import { AUDIT_CHECK_NAME } from "../orchestration/audit-gate.js";
import { annotationBatches, renderAuditReport } from "../orchestration/audit-report.js";
import type { OrchestraConfig } from "../orchestration/config.js";
import type { Effect } from "../orchestration/decision.js";
import * as messages from "../orchestration/messages.js";
import { epicKey } from "../orchestration/naming.js";
import type { EpicRef, ReconcileDeps } from "../orchestration/reconcile-deps.js";

/**
 * The audit of one PR head: read its description and diff, ask the auditor, publish the verdict
 * as the check run `Orchestra audit`. The next reconcile reads that check run and merges, or
 * sends the findings to the agent (audit-gate.ts).
 */

export type AuditEffect = Extract<Effect, { kind: "audit" }>;

export type AuditStepOutcome =
  /** Published (or published a moment ago and not yet shown by GitHub): look again after `waitMs`. */
  | { waitMs: number; usage?: TokenUsage }
  /** No verdict, or GitHub refused it: the epic pauses with this comment. */
  | { pause: { key: string; body: string }; usage?: TokenUsage };

/** GitHub shows a new check run in the next read almost always; when it does not, the next look is this much later. */
const PUBLISHED_LAG_MS = 5_000;

export async function runAuditStep(ref: EpicRef, effect: AuditEffect, config: OrchestraConfig, deps: ReconcileDeps, log: Logger): Promise<AuditStepOutcome> {
  const key = `${epicKey(ref.owner, ref.repo, ref.issueNumber)}:audit:${effect.sha}`;
  // Never twice for one head: a verdict published a moment ago that GitHub's read does not show yet is waited for.
  if ((await deps.reported.get(key)) === "published") return { waitMs: PUBLISHED_LAG_MS };
  const { gateway } = deps;
  const description = await gateway.pullDescription(effect.pr);
  const files = await gateway.pullFiles(effect.pr, config.audit.maxDiffBytes);
  const input = {
    task: effect.task,
    epic: effect.epic,
    pull: { number: effect.pr, body: description.body, changedFiles: description.changedFiles },
    files,
    checks: effect.checks,
    maxDiffBytes: config.audit.maxDiffBytes,
  };
  // A verdict GitHub did not take (an error, retried by the scheduler) is published again without asking the model again.
  const kept = await deps.reported.get(`${key}:verdict`);
  let result: AuditResult;
  if (kept) {
    result = JSON.parse(kept) as AuditResult;
  } else if (deps.audit) {
    result = await deps.audit(input, config);
  } else {
    result = { ok: false, error: "this deployment of Orchestra has no auditor", usage: { inputTokens: 0, outputTokens: 0 } };
  }
  const usage = kept ? undefined : result.usage;
  log.info({ task: effect.taskId, pr: effect.pr, sha: effect.sha, ok: result.ok, ...(result.ok ? { verdict: result.verdict } : {}), usage }, "audit done");
  if (!result.ok) {
    return { pause: { key: `audit-failed-${effect.taskId}-${effect.sha}`, body: messages.auditFailed(effect.taskId, effect.pr, result.error) }, ...(usage ? { usage } : {}) };
  }
  if (!kept) await deps.reported.set(`${key}:verdict`, JSON.stringify(result));
  const verdict: AuditVerdict = { verdict: result.verdict, findings: result.findings };
  const report = renderAuditReport(verdict, { model: `${result.provider} \`${result.model}\``, files: files.map((file) => file.path), truncated: sentTruncated(input) });
  const [first = [], ...rest] = annotationBatches(report.annotations);
  let checkRunId: number;
  try {
    checkRunId = await gateway.createCheckRun({ name: AUDIT_CHECK_NAME, headSha: effect.sha, conclusion: report.conclusion, title: report.title, summary: report.summary, annotations: first });
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status !== 403) throw error;
    const message = (error as { response?: { data?: { message?: string } } }).response?.data?.message ?? "forbidden";
    return { pause: { key: `audit-forbidden-${effect.taskId}`, body: messages.auditNotPublished(effect.taskId, effect.pr, status, message) }, ...(usage ? { usage } : {}) };
  }
  for (const batch of rest) await gateway.addCheckRunAnnotations(checkRunId, { title: report.title, summary: report.summary }, batch);
  await deps.reported.set(key, "published");
  log.info({ task: effect.taskId, pr: effect.pr, sha: effect.sha, checkRun: checkRunId, conclusion: report.conclusion, annotations: report.annotations.length }, "audit published");
  return { waitMs: 0, ...(usage ? { usage } : {}) };
}

/** Whether the auditor saw less than the whole diff. */
function sentTruncated(input: { files: Array<{ patch?: string }>; pull: { changedFiles: number }; maxDiffBytes: number }): boolean {
  const bytes = input.files.reduce((sum, file) => sum + Buffer.byteLength(file.patch ?? "", "utf8"), 0);
  return bytes > input.maxDiffBytes || input.files.length < input.pull.changedFiles;
}
