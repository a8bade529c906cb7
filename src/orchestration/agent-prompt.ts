import { stripOrchestraMarkers } from "./markers.js";
import type { Task } from "./types.js";

const MAX_EPIC_TEXT = 6_000;

export interface AgentPromptInput {
  issueNumber: number;
  issueTitle: string;
  /** The user's text of the epic, outside Orchestra's block. */
  epicText: string;
  task: Task;
  merged: Array<{ id: string; title: string; pr?: number }>;
}

/**
 * The agent works from this text alone: the task, the epic it belongs to and what is already
 * merged. It must reference the epic without closing it, because the epic outlives each PR.
 */
export function buildAgentPrompt(input: AgentPromptInput): string {
  const epicText = stripOrchestraMarkers(input.epicText).trim().slice(0, MAX_EPIC_TEXT);
  const lines = [
    `# ${stripOrchestraMarkers(input.task.title).trim()}`,
    "",
  ];
  const details = stripOrchestraMarkers(input.task.details).trim();
  if (details) lines.push(details, "");
  lines.push(
    `This task is part of the epic #${input.issueNumber}: ${stripOrchestraMarkers(input.issueTitle).trim()}.`,
  );
  if (epicText) lines.push("", "## The epic", "", epicText);
  if (input.merged.length > 0) {
    lines.push("", "## Already merged in this epic", "");
    for (const done of input.merged) {
      lines.push(`- ${done.id}: ${stripOrchestraMarkers(done.title).trim()}${done.pr ? ` (#${done.pr})` : ""}`);
    }
  }
  lines.push(
    "",
    "## Rules",
    "",
    "- Keep the change focused on this task; later tasks of the epic will follow in their own pull requests.",
    `- Write "Part of #${input.issueNumber}" in the pull request description. Never write "Closes #${input.issueNumber}", "Fixes #${input.issueNumber}" or any other closing keyword for it.`,
    "- Make the repository's checks pass.",
  );
  return lines.join("\n");
}
