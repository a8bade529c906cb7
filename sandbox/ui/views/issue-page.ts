/**
 * SANDBOX TOOL — never part of src/. One issue as GitHub shows it: title and state, the body
 * and every comment rendered as GitHub renders markdown, who wrote and edited what, reactions,
 * and on the side its labels, the pull requests that mention it and the agents working on it.
 */
import { html, type Html } from "../html.js";
import { renderMarkdown } from "../markdown.js";
import { agents, issuePath, linkedPulls, markdownContext, type ViewSource } from "../source.js";
import { agentTable } from "./agents.js";
import { editedNote, person, reactions, stateBadge, time } from "./parts.js";

export function issuePage(source: ViewSource, repo: string, number: number): { title: string; main: Html } {
  const { github, edits } = source;
  const issue = github.issue(repo, number);
  const entry = github.state.repoByFullName(repo)!.issues.get(number)!;
  const comments = github.comments(repo, number);
  const context = markdownContext(source, repo);
  const pulls = linkedPulls(source, repo, number).map((pr) => github.pull(repo, pr));

  const main = html`<div class="issue" data-issue="${number}" data-state="${issue.state}">
<p class="crumbs"><a href="/">${repo}</a> › issues</p>
<h1 class="title">${issue.title} <span class="number">#${number}</span></h1>
<p class="meta">${stateBadge(issue.state, issue.state === "open" ? "Open" : "Closed")}
<strong>${issue.author}</strong> opened this issue at ${time(entry.createdAt)} · ${comments.length} comment${comments.length === 1 ? "" : "s"}</p>
<div class="layout">
<div class="timeline">
${commentBox({
  id: "issue-body",
  author: issue.author,
  createdAt: entry.createdAt,
  verb: "opened",
  body: renderMarkdown(issue.body, context),
  edited: editedNote(edits.body(number)),
  reactions: reactions(issue.reactions),
})}
${comments.map((comment) =>
  commentBox({
    id: `comment-${comment.id}`,
    author: comment.author,
    createdAt: comment.createdAt,
    verb: "commented",
    body: renderMarkdown(comment.body, context),
    edited: editedNote(edits.comment(comment.id)),
    reactions: reactions(comment.reactions),
  }),
)}
${issue.state === "closed"
    ? html`<div class="event closed-event">${stateBadge("closed", "Closed")} <strong>${issue.closedBy ?? "someone"}</strong> closed this as ${
        issue.stateReason === "not_planned" ? "not planned" : "completed"
      }${entry.closedAt ? html` at ${time(entry.closedAt)}` : ""}</div>`
    : ""}
</div>
<aside class="sidebar">
<h3>Labels</h3>
${issue.labels.length === 0 ? html`<p class="muted">None yet</p>` : html`<p>${issue.labels.map((label) => html`<span class="label">${label}</span> `)}</p>`}
<h3>Development</h3>
${pulls.length === 0
    ? html`<p class="muted">No pull request mentions this issue yet.</p>`
    : html`<ul class="list linked-pulls">${pulls.map(
        (pull) => html`<li>${pull.merged ? stateBadge("merged", "Merged") : stateBadge(pull.state, pull.state === "open" ? "Open" : "Closed")}
<a href="${issuePath(repo, pull.number, true)}">#${pull.number}</a> ${pull.title}</li>`,
      )}</ul>`}
<h3>Agents</h3>
${agentTable(agents(source, repo, `orchestra/${number}-`), repo)}
</aside>
</div>
</div>`;
  return { title: `${issue.title} #${number}`, main };
}

interface CommentBoxInput {
  id: string;
  author: string;
  createdAt: string;
  verb: string;
  body: Html;
  edited: Html;
  reactions: Html;
}

export function commentBox(input: CommentBoxInput): Html {
  return html`<article class="comment" id="${input.id}" data-author="${input.author}">
<header class="comment-head">${person(input.author)} <span class="muted">${input.verb} at ${time(input.createdAt)}</span> ${input.edited}</header>
<div class="markdown-body">${input.body}</div>
${input.reactions}
</article>`;
}
