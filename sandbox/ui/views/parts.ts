/**
 * SANDBOX TOOL — never part of src/. Small pieces the web view's pages share: the page frame,
 * state badges, people, times, reactions.
 */
import { html, type Html } from "../html.js";

const REACTION_EMOJI: Record<string, string> = {
  "+1": "👍",
  "-1": "👎",
  laugh: "😄",
  confused: "😕",
  heart: "❤️",
  hooray: "🎉",
  rocket: "🚀",
  eyes: "👀",
};

export function page(title: string, main: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Orchestra sandbox</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/live.js" defer></script>
</head>
<body>
<header class="top">
  <a class="home" href="/">Orchestra sandbox</a>
  <span class="fake-note">a local fake of GitHub and Cursor · read-only</span>
  <span id="live" class="live" data-state="connecting">connecting…</span>
</header>
<main id="main">${main}</main>
</body>
</html>
`;
}

export type BadgeKind = "open" | "closed" | "merged" | "draft";

export function stateBadge(kind: BadgeKind, text: string): Html {
  return html`<span class="badge badge-${kind}" data-state="${kind}">${text}</span>`;
}

export function person(login: string): Html {
  const bot = login.endsWith("[bot]");
  const name = bot ? login.slice(0, -"[bot]".length) : login;
  return html`<span class="avatar" aria-hidden="true">${name.charAt(0).toUpperCase()}</span><strong class="login">${name}</strong>${
    bot ? html` <span class="bot-label">bot</span>` : ""
  }`;
}

/** `HH:MM:SS` (UTC), with the full timestamp on hover. */
export function time(iso: string): Html {
  return html`<time datetime="${iso}" title="${iso}">${iso.slice(11, 19)}</time>`;
}

export function reactions(list: Array<{ content: string; user: string }>): Html {
  if (list.length === 0) return html``;
  const byContent = new Map<string, string[]>();
  for (const reaction of list) byContent.set(reaction.content, [...(byContent.get(reaction.content) ?? []), reaction.user]);
  return html`<div class="reactions">${[...byContent].map(
    ([content, users]) =>
      html`<span class="reaction" data-content="${content}" title="${users.join(", ")}">${REACTION_EMOJI[content] ?? content} ${users.length}</span>`,
  )}</div>`;
}

export function editedNote(edit: { count: number; lastBy: string } | undefined): Html {
  if (!edit) return html``;
  const times = edit.count === 1 ? "once" : `${edit.count} times`;
  return html`<span class="edited" title="edited ${times}, last by ${edit.lastBy}">edited${edit.count > 1 ? ` ×${edit.count}` : ""}</span>`;
}

/** A check's or an agent's state as one symbol and a class for its colour. */
export function checkIcon(status: string, conclusion: string | null): Html {
  if (status !== "completed") return html`<span class="icon pending" title="${status}">●</span>`;
  if (conclusion === "success" || conclusion === "neutral" || conclusion === "skipped") return html`<span class="icon success" title="${conclusion}">✓</span>`;
  return html`<span class="icon failure" title="${conclusion ?? "unknown"}">✗</span>`;
}
