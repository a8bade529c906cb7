import { createHash } from "node:crypto";
import type { ParsedBody } from "../types.js";

/**
 * What reaches agents, as three short hashes `title.text.tasks`: the issue title, the epic's text
 * around Orchestra's block, and the task list (ids, titles, details, dependencies, and the items
 * a person ticked). Orchestra keeps the digest of the text it last accepted in its signed plan
 * marker; a reconcile that computes a different one knows someone changed what agents read.
 * Three parts, so the epic can say which of them changed.
 */

export type ContentPart = "title" | "text" | "tasks";
const PARTS: readonly ContentPart[] = ["title", "text", "tasks"];

export function contentDigest(title: string, parsed: ParsedBody): string {
  const tasks = (parsed.plan?.tasks ?? []).map((task) => [task.id, task.title, task.details, task.deps, task.state === "done"]);
  return [title.trim(), normalize(`${parsed.before}\u0000${parsed.after}`), JSON.stringify(tasks)].map(hash).join(".");
}

/** The parts in which two digests differ; every part when either is missing or malformed. */
export function changedParts(accepted: string | undefined, current: string): ContentPart[] {
  const a = accepted?.split(".") ?? [];
  const b = current.split(".");
  if (a.length !== PARTS.length || b.length !== PARTS.length) return [...PARTS];
  return PARTS.filter((_part, i) => a[i] !== b[i]);
}

/** Line endings and trailing blanks are how editors differ, not what a person wrote. */
function normalize(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(/[ \t]+$/gm, "").trim();
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 12);
}
