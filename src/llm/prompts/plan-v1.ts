import { stripOrchestraMarkers } from "../../orchestration/markers.js";

export { stripOrchestraMarkers };

/**
 * Planning prompt, version 1. A changed prompt gets a new file (plan-v2.ts) rather than an
 * edit here, so logs saying which version produced a plan stay meaningful.
 */
export const PLAN_PROMPT_VERSION = "plan-v1";

/** The issue body is the user's; past this it is cut so the repository context still fits. */
const MAX_BODY_CHARS = 12_000;

export const PLAN_SYSTEM_PROMPT = `You are the planner of Orchestra, a GitHub App that carries out an "epic" issue by handing one task at a time to an autonomous coding agent. Each agent works alone in the repository and opens one pull request for its task.

Split the epic into tasks:
- Each task is small enough for one focused pull request that a reviewer can read in one sitting, and leaves the repository working (tests pass).
- List the tasks in the order they should be done.
- Titles are short imperative sentences on one line ("Add the login endpoint"), plain text, at most 80 characters.
- Details tell the agent what to change and end with acceptance criteria as a short list. The agent sees only its own task and the repository, so each task must stand on its own.
- Only tasks that a coding agent can complete in this repository: no meetings, approvals or deployments.
- Give a task \`deps\` only when it truly needs another task's merged result; otherwise leave \`deps\` empty. Deps name ids of earlier tasks in the list.
- Do not plan again the tasks the user lists as already started or finished; plan only the remaining work.

Answer with only a JSON object, no prose and no code fence, in exactly this shape:
{"tasks": [{"id": "t1", "title": "Add the user model", "details": "What to do.\\n\\nAcceptance criteria:\\n- ...", "deps": []}]}`;

export interface PlanPromptInput {
  title: string;
  /** The issue body as the user wrote it; Orchestra's hidden markers are removed here. */
  body: string;
  instructions?: string;
  /** Titles of tasks already started or finished, which stay in the plan. */
  keep?: string[];
  maxTasks: number;
  /** Repository context, already rendered and capped (see `renderRepoContext`). */
  repoContext?: string;
}

/** The user message: the epic, the user's extra wishes, what to keep, and the repository. */
export function renderPlanPrompt(input: PlanPromptInput): string {
  const sections = [
    `# Epic: ${input.title.trim() || "(untitled)"}`,
    section("Description", capped(stripOrchestraMarkers(input.body).trim() || "(no description)")),
  ];
  const instructions = input.instructions?.trim();
  if (instructions) sections.push(section("Extra instructions from the user", instructions));
  const keep = (input.keep ?? []).map((title) => title.trim()).filter(Boolean);
  if (keep.length > 0) {
    sections.push(
      section(
        "Tasks already started or finished (they stay; do not plan them again)",
        keep.map((title) => `- ${title}`).join("\n"),
      ),
    );
  }
  if (input.repoContext?.trim()) sections.push(section("Repository", input.repoContext.trim()));
  sections.push(
    `Plan at most ${input.maxTasks} tasks${keep.length > 0 ? " for the remaining work" : ""}. Reply with only the JSON object.`,
  );
  return sections.join("\n\n");
}

function section(heading: string, content: string): string {
  return `## ${heading}\n\n${content}`;
}

function capped(text: string): string {
  return text.length > MAX_BODY_CHARS ? `${text.slice(0, MAX_BODY_CHARS)}\n…(description truncated)` : text;
}
