/**
 * SANDBOX TOOL — never part of src/. The fake Cursor's agents as a table: what each one works
 * on, its status, its attempt and the pull request it opened.
 */
import type { FakeAgent } from "../../cursor/fake-cursor.js";
import { html, type Html } from "../html.js";
import { issuePath } from "../source.js";

const STATUS_CLASS: Record<string, string> = {
  CREATING: "pending",
  RUNNING: "pending",
  FINISHED: "success",
  ERROR: "failure",
  EXPIRED: "failure",
};

export function agentTable(agents: FakeAgent[], repo: string): Html {
  if (agents.length === 0) return html`<p class="muted">No agent launched yet.</p>`;
  return html`<table class="agents">
<thead><tr><th>Agent</th><th>Branch</th><th>Status</th><th>Attempt</th><th>PR</th></tr></thead>
<tbody>${agents.map((agent) => agentRow(agent, repo))}</tbody>
</table>`;
}

function agentRow(agent: FakeAgent, repo: string): Html {
  const status = agent.stopped && agent.status !== "FINISHED" ? `${agent.status} (stopped)` : agent.status;
  return html`<tr data-agent="${agent.id}">
<td><code title="${agent.summary ?? ""}">${agent.id.slice(0, 11)}</code></td>
<td><code>${agent.target.branchName}</code></td>
<td><span class="agent-status ${STATUS_CLASS[agent.status] ?? "pending"}">${status}</span></td>
<td>${agent.attempt}</td>
<td>${agent.pr === undefined ? "" : html`<a href="${issuePath(repo, agent.pr, true)}">#${agent.pr}</a>`}</td>
</tr>`;
}
