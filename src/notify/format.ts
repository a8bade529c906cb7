import type { EpicEvent } from "../orchestration/epic-events.js";

/**
 * What a notification looks like on the wire: Slack's message format (text + blocks) when the
 * URL is a Slack incoming webhook, plain JSON otherwise (the shape is documented in
 * docs/notifications.md). The issue's title and the reasons are data: in Slack they are escaped
 * so that they can neither mention anyone (`<!channel>`, `<@U…>`, `@here`) nor become a link.
 */

const SLACK_HOSTS = new Set(["hooks.slack.com", "hooks.slack-gov.com"]);

/** A Slack incoming webhook: `https://hooks.slack.com/services/…` (or Slack GovSlack's). */
export function isSlackWebhook(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" && SLACK_HOSTS.has(parsed.hostname.toLowerCase()) && parsed.pathname.startsWith("/services/");
  } catch {
    return false;
  }
}

export type NotificationFormat = "slack" | "json";

export function formatFor(url: string): NotificationFormat {
  return isSlackWebhook(url) ? "slack" : "json";
}

/** The request body for `url`'s format. */
export function notificationBody(event: EpicEvent, format: NotificationFormat): string {
  return JSON.stringify(format === "slack" ? slackMessage(event) : jsonMessage(event));
}

// ---------------------------------------------------------------------------------------------
// Plain JSON

/** The JSON sent to any URL that is not Slack's. Text fields other than `headline` are data as typed. */
export interface JsonNotification {
  event: EpicEvent["kind"];
  /** Names the event: the same id is never sent twice. */
  id: string;
  at: string;
  repository: string;
  issue: { number: number; title: string; url: string };
  /** One line saying what happened, in Orchestra's words (the title is not in it). */
  headline: string;
  reason?: string;
  command?: string;
  tasks?: number;
  task?: { id: string; title: string };
  summary?: { tasks: number; merged: number; skipped: number; done: number };
  spent: { agentRuns: number; llmTokens: number };
  links: Array<{ text: string; url: string }>;
}

export function jsonMessage(event: EpicEvent): JsonNotification {
  return {
    event: event.kind,
    id: event.key,
    at: event.at,
    repository: event.repository,
    issue: { number: event.issueNumber, title: event.title, url: event.url },
    headline: headline(event),
    ...(event.reason !== undefined ? { reason: event.reason } : {}),
    ...(event.command !== undefined ? { command: event.command } : {}),
    ...(event.tasks !== undefined ? { tasks: event.tasks } : {}),
    ...(event.task ? { task: event.task } : {}),
    ...(event.summary ? { summary: event.summary } : {}),
    spent: event.spent,
    links: event.links,
  };
}

/** Orchestra's own one-line account of the event; names the repository and issue, never the title. */
export function headline(event: EpicEvent): string {
  const epic = `${event.repository}#${event.issueNumber}`;
  switch (event.kind) {
    case "planned":
      return `Epic ${epic} planned: ${plural(event.tasks ?? 0, "task")}${event.command ? `, waiting for ${event.command}` : ", started"}.`;
    case "paused":
      return `Epic ${epic} paused.`;
    case "failed":
      return `Task ${event.task?.id ?? "?"} of epic ${epic} failed; the epic is paused.`;
    case "completed": {
      const summary = event.summary;
      return `Epic ${epic} completed${summary ? `: ${summary.merged} of ${plural(summary.tasks, "task")} merged` : ""}.`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Slack

export interface SlackMessage {
  text: string;
  blocks: Array<
    | { type: "section"; text: { type: "mrkdwn"; text: string } }
    | { type: "context"; elements: Array<{ type: "mrkdwn"; text: string }> }
  >;
}

const EMOJI: Record<EpicEvent["kind"], string> = { planned: "📋", paused: "⏸️", failed: "❌", completed: "🎉" };

export function slackMessage(event: EpicEvent): SlackMessage {
  const [issue, ...pulls] = event.links;
  const title = slackText(event.title);
  const lines = [`${EMOJI[event.kind]} *${slackText(headline(event))}*`, `${issue ? slackLink(issue.url, issue.text) : ""} ${title}`.trim()];
  if (event.task) lines.push(`*Task:* ${slackText(event.task.id)} ${slackText(event.task.title)}`);
  if (event.reason) lines.push(`*Why:* ${slackText(event.reason)}`);
  if (event.command) lines.push(`Comment \`${slackText(event.command)}\` on the issue to ${event.kind === "planned" ? "run it" : "continue"}${event.kind === "failed" ? ` (or \`/skip ${slackText(event.task?.id ?? "")}\` to go on without it)` : ""}.`);
  if (event.summary) {
    const { skipped, done } = event.summary;
    const extras = [skipped ? `${skipped} skipped` : "", done ? `${done} done by hand` : ""].filter(Boolean);
    if (extras.length > 0) lines.push(extras.join(", "));
  }
  const context = [`Spent: ${plural(event.spent.agentRuns, "agent run")}, ${event.spent.llmTokens.toLocaleString("en-US")} LLM tokens`];
  if (pulls.length > 0) context.push(pulls.map((link) => slackLink(link.url, link.text)).join(" · "));
  return {
    text: `${slackText(headline(event))} ${title}`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: lines.join("\n") } },
      { type: "context", elements: context.map((text) => ({ type: "mrkdwn" as const, text })) },
    ],
  };
}

/**
 * Text safe in a Slack message: `&`, `<` and `>` escaped as Slack asks (so no `<!channel>`,
 * `<@U123>` or `<url|text>` can form), and what Slack would still turn into a mention or a link
 * by itself (`@here`, `@channel`, `@everyone`, `https://…`) broken with an invisible word joiner.
 */
export function slackText(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/@(?=[\p{L}\p{N}_])/gu, "@\u2060")
    .replace(/:\/\//g, ":\u2060//")
    .replace(/\bwww\./gi, (match) => `${match.slice(0, 3)}\u2060.`);
}

/** `<url|text>`: the URL is Orchestra's own; the text is escaped, and `|` cannot end it early. */
export function slackLink(url: string, text: string): string {
  const safeUrl = url.replace(/&/g, "&amp;").replace(/</g, "%3C").replace(/>/g, "%3E").replace(/\|/g, "%7C");
  return `<${safeUrl}|${slackText(text).replace(/\|/g, "¦")}>`;
}

function plural(n: number, noun: string): string {
  return `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
}
