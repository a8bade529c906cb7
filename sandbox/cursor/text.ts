/**
 * SANDBOX FAKE — never part of src/. The words a fake agent writes: branch and file names, the
 * pull request's title and body, and the repository named in a launch request.
 */
import type { FakeAgent } from "./fake-cursor.js";

export function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim())?.trim() ?? "";
}

export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

export function identifier(name: string): string {
  const camel = name.replace(/-([a-z0-9])/g, (_, char: string) => char.toUpperCase()).replace(/[^A-Za-z0-9]/g, "");
  return /^[A-Za-z_]/.test(camel) ? camel : `task${camel}`;
}

/** `https://github.com/o/r(.git)`, `http://127.0.0.1:1234/o/r`, `github.com/o/r` or `o/r` → `o/r`. */
export function repositoryName(repository: string): string | null {
  const cleaned = repository.trim().replace(/^[a-z+]+:\/\//i, "").replace(/\.git$/, "").replace(/\/+$/, "");
  const parts = cleaned.split("/").filter(Boolean);
  if (parts.length < 2) return null;
  return `${parts[parts.length - 2]}/${parts[parts.length - 1]}`;
}

export function pullTitle(prompt: string): string {
  return (firstLine(prompt).replace(/^#+\s*/, "").replace(/\[scenario:[^\]]*\]/gi, "").trim() || "Changes from a background agent").slice(0, 256);
}

/**
 * The PR body repeats "Part of #N" from the prompt, and the one closing keyword the prompt asks
 * for (a sub-issue's `Write "Closes #M"`), never one for the epic.
 */
export function pullBody(agent: FakeAgent): string {
  const lines = [`This pull request was opened by a Cursor background agent (sandbox fake ${agent.id}).`, ""];
  const closes = /Write "Closes #(\d+)"/.exec(agent.prompt);
  if (closes) lines.push(`Closes #${closes[1]}`);
  const partOf = /Part of #(\d+)/i.exec(agent.prompt);
  if (partOf) lines.push(`Part of #${partOf[1]}`, "");
  lines.push(`Agent: ${agent.target.url}`);
  return lines.join("\n");
}
