import type { AuditFinding, AuditVerdict } from "../llm/audit-types.js";
import type { CheckAnnotation } from "../github/gateway.js";
import { neutralizeReferences } from "./status-comment.js";

/** The auditor's verdict as the check run `Orchestra audit` shows it: pure, so its shape is tested without GitHub. */

/** GitHub takes at most this many annotations per create or update request. */
export const ANNOTATIONS_PER_REQUEST = 50;
/** GitHub's limit on a check run's summary is 65,535 characters; the findings list stops before it. */
const MAX_SUMMARY = 60_000;

export interface AuditReport {
  conclusion: "success" | "failure";
  title: string;
  summary: string;
  annotations: CheckAnnotation[];
}

const LEVEL: Record<AuditFinding["severity"], CheckAnnotation["annotation_level"]> = {
  error: "failure",
  warning: "warning",
  info: "notice",
};

/**
 * `changes` fails the check run, `approve` passes it. Every finding is listed in the summary
 * (what the agent is sent back); those on a file of the diff are annotations as well, since
 * GitHub shows annotations only on the PR's files.
 */
export function renderAuditReport(verdict: AuditVerdict, about: { model: string; files: string[]; truncated: boolean }): AuditReport {
  const count = verdict.findings.length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const title = verdict.verdict === "approve" ? (count > 0 ? `Approved with ${plural(count, "remark")}` : "Approved") : `Changes requested: ${plural(count, "finding")}`;
  const lines = [
    `The auditor (${about.model}) read the task, the epic, the pull request's description, its checks and ${about.truncated ? "the first part of its diff (cut at `audit.maxDiffBytes`)" : "its diff"}.`,
  ];
  if (count > 0) lines.push("", ...verdict.findings.map(findingLine));
  let summary = lines.join("\n");
  if (summary.length > MAX_SUMMARY) summary = `${summary.slice(0, MAX_SUMMARY)}\n…(more findings not shown)`;
  const inDiff = new Set(about.files);
  const annotations = verdict.findings
    .filter((finding) => inDiff.has(finding.file))
    .map((finding) => ({
      path: finding.file,
      start_line: finding.line ?? 1,
      end_line: finding.line ?? 1,
      annotation_level: LEVEL[finding.severity],
      title: `${finding.severity}`,
      message: finding.message,
    }));
  return { conclusion: verdict.verdict === "approve" ? "success" : "failure", title, summary, annotations };
}

/** One line per finding; the model's words cannot mention anyone or link an issue from it. */
function findingLine(finding: AuditFinding): string {
  const where = `${finding.file}${finding.line ? `:${finding.line}` : ""}`.replace(/`/g, "'");
  return `- **${finding.severity}** \`${where}\`: ${neutralizeReferences(finding.message.replace(/\s*\n\s*/g, " "))}`;
}

/** Annotations in GitHub's batches: the first with the check run's creation, the rest in updates. */
export function annotationBatches(annotations: CheckAnnotation[]): CheckAnnotation[][] {
  const batches: CheckAnnotation[][] = [];
  for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) batches.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  return batches;
}
