/**
 * SANDBOX TOOL — never part of src/. One pull request as GitHub shows it: its state, the
 * conversation, reviews, the checks at its head commit, whether it can be merged, and the
 * agent that opened it.
 */
import type { PullView } from "../../github/fake-github.js";
import { html, type Html } from "../html.js";
import { renderMarkdown } from "../markdown.js";
import { agents, markdownContext, type ViewSource } from "../source.js";
import { agentTable } from "./agents.js";
import { commentBox } from "./issue-page.js";
import { checkIcon, editedNote, person, reactions, stateBadge, time } from "./parts.js";

const REVIEW_TEXT: Record<string, string> = {
  APPROVED: "approved these changes",
  CHANGES_REQUESTED: "requested changes",
  COMMENTED: "reviewed",
  DISMISSED: "reviewed (dismissed)",
  PENDING: "started a review",
};

export function pullPage(source: ViewSource, repo: string, number: number): { title: string; main: Html } {
  const { github, edits } = source;
  const pull = github.pull(repo, number);
  const entry = github.state.repoByFullName(repo)!.issues.get(number)!;
  const context = markdownContext(source, repo);
  const comments = github.comments(repo, number);
  const badge = pull.merged ? stateBadge("merged", "Merged") : stateBadge(pull.state, pull.state === "open" ? "Open" : "Closed");
  const action = pull.merged
    ? html`<strong>${pull.mergedBy ?? "someone"}</strong> merged <code>${pull.head}</code> into <code>${pull.base}</code>`
    : html`<strong>${pull.author}</strong> wants to merge <code>${pull.head}</code> into <code>${pull.base}</code>`;

  const main = html`<div class="pull" data-pull="${number}" data-state="${pull.merged ? "merged" : pull.state}">
<p class="crumbs"><a href="/">${repo}</a> › pull requests</p>
<h1 class="title">${pull.title} <span class="number">#${number}</span></h1>
<p class="meta">${badge} ${action}</p>
<div class="layout">
<div class="timeline">
${commentBox({
  id: "pull-body",
  author: pull.author,
  createdAt: entry.createdAt,
  verb: "opened",
  body: renderMarkdown(pull.body, context),
  edited: editedNote(edits.body(number)),
  reactions: reactions(entry.reactions.map((r) => ({ content: r.content, user: r.user.login }))),
})}
${pull.reviews.map(
  (review) => html`<article class="review review-${review.state.toLowerCase()}">
<header class="comment-head">${person(review.author)} <span class="muted">${REVIEW_TEXT[review.state] ?? review.state} at <code>${review.commitId.slice(0, 7)}</code></span></header>
${review.body ? html`<div class="markdown-body">${renderMarkdown(review.body, context)}</div>` : ""}
</article>`,
)}
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
${mergeBox(pull, entry.closedAt)}
</div>
<aside class="sidebar">
<h3>Agent</h3>
${agentTable(agents(source, repo).filter((agent) => agent.pr === number || agent.target.branchName === pull.head), repo)}
</aside>
</div>
</div>`;
  return { title: `${pull.title} #${number}`, main };
}

function mergeBox(pull: PullView, closedAt: string | null): Html {
  const checks = html`<ul class="checks">${
    pull.checks.length === 0
      ? html`<li class="muted">No checks at <code>${pull.headSha.slice(0, 7)}</code> yet.</li>`
      : pull.checks.map(
          (check) => html`<li data-check="${check.name}">${checkIcon(check.status, check.conclusion)} <strong>${check.name}</strong>
<span class="muted">${check.status === "completed" ? check.conclusion : check.status} at <code>${check.sha.slice(0, 7)}</code></span></li>`,
        )
  }</ul>`;
  return html`<section class="merge-box" data-mergeable-state="${pull.mergeableState}">
<h3>Checks</h3>
${checks}
<p class="merge-state">${mergeText(pull, closedAt)}</p>
</section>`;
}

function mergeText(pull: PullView, closedAt: string | null): Html {
  if (pull.merged) return html`${stateBadge("merged", "Merged")} Pull request successfully merged${closedAt ? html` at ${time(closedAt)}` : ""}.`;
  if (pull.state === "closed") return html`${stateBadge("closed", "Closed")} Closed without merging.`;
  switch (pull.mergeableState) {
    case "clean":
      return html`<span class="icon success">✓</span> This branch has no conflicts with the base branch; every check passed.`;
    case "dirty":
      return html`<span class="icon failure">✗</span> This branch has conflicts that must be resolved.`;
    case "unstable":
      return html`<span class="icon pending">●</span> No conflicts, but some checks are pending or failing.`;
    case "draft":
      return html`This pull request is still a draft.`;
    default:
      return html`<span class="icon pending">●</span> Checking for the ability to merge automatically…`;
  }
}
