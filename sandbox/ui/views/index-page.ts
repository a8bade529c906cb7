/**
 * SANDBOX TOOL — never part of src/. The web view's front page: every repository of the fake
 * GitHub with its issues, pull requests and agents.
 */
import { html, type Html } from "../html.js";
import { agents, issuePath, numbers, repositories, type ViewSource } from "../source.js";
import { agentTable } from "./agents.js";
import { stateBadge } from "./parts.js";

export function indexPage(source: ViewSource): { title: string; main: Html } {
  const repos = repositories(source);
  const main = repos.length === 0 ? html`<p class="muted">No repository yet: the sandbox is starting.</p>` : repos.map((repo) => repoSection(source, repo));
  return { title: "Repositories", main: html`${main}` };
}

function repoSection(source: ViewSource, repo: string): Html {
  const all = numbers(source, repo);
  const issues = all.filter((entry) => !entry.isPull).map((entry) => source.github.issue(repo, entry.number));
  const pulls = all.filter((entry) => entry.isPull).map((entry) => source.github.pull(repo, entry.number));
  return html`<section class="repo" data-repo="${repo}">
<h1 class="repo-name">${repo}</h1>
<h2>Issues</h2>
${issues.length === 0
    ? html`<p class="muted">No issues.</p>`
    : html`<ul class="list issues">${issues.map(
        (issue) => html`<li>${stateBadge(issue.state, issue.state === "open" ? "Open" : "Closed")}
<a href="${issuePath(repo, issue.number, false)}">${issue.title}</a> <span class="muted">#${issue.number} by ${issue.author}</span>
${issue.labels.map((label) => html` <span class="label">${label}</span>`)}</li>`,
      )}</ul>`}
<h2>Pull requests</h2>
${pulls.length === 0
    ? html`<p class="muted">No pull requests.</p>`
    : html`<ul class="list pulls">${pulls.map(
        (pull) => html`<li>${pull.merged ? stateBadge("merged", "Merged") : stateBadge(pull.state, pull.state === "open" ? "Open" : "Closed")}
<a href="${issuePath(repo, pull.number, true)}">${pull.title}</a> <span class="muted">#${pull.number} ${pull.head} → ${pull.base}</span></li>`,
      )}</ul>`}
<h2>Agents</h2>
${agentTable(agents(source, repo), repo)}
</section>`;
}
