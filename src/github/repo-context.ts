import type { ProbotOctokit } from "probot";

type Octokit = InstanceType<typeof ProbotOctokit>;

/** What the planner learns about a repository: enough to name files and tools, cheaply. */
export interface RepoContext {
  /** Top-level entries; directories end with "/". */
  tree: string[];
  /** The start of the README, when there is one. */
  readme?: string;
  /** The first few dependency manifests found at the top level, each capped. */
  manifests: Array<{ path: string; content: string }>;
}

export interface RepoRef {
  owner: string;
  repo: string;
  /** Branch, tag or sha; the default branch when absent. */
  ref?: string;
}

/** Manifests that tell the planner the language, framework and test tools, in order of preference. */
export const MANIFEST_FILES = [
  "package.json",
  "pyproject.toml",
  "Cargo.toml",
  "go.mod",
  "Gemfile",
  "pom.xml",
  "requirements.txt",
] as const;

export const MAX_MANIFESTS = 3;
export const MAX_README_CHARS = 3_000;
export const MAX_MANIFEST_CHARS = 1_500;
/** Cap on the rendered context, so a large repository cannot crowd out the issue text. */
export const MAX_CONTEXT_CHARS = 8_000;
const MAX_TREE_ENTRIES = 200;

/**
 * Reads the repository's top-level listing, README and up to three manifests: at most five
 * REST requests, the listing and README in parallel. A 404 means absent (an empty repository
 * has no listing, many have no README); any other failure is the caller's to handle.
 */
export async function collectRepoContext(octokit: Octokit, repo: RepoRef): Promise<RepoContext> {
  const at = repo.ref ? { ref: repo.ref } : {};
  const [listing, readme] = await settleBoth(
    absentOn404(octokit.rest.repos.getContent({ owner: repo.owner, repo: repo.repo, path: "", ...at })),
    absentOn404(
      octokit.rest.repos.getReadme({ owner: repo.owner, repo: repo.repo, ...at, mediaType: { format: "raw" } }),
    ),
  );

  const entries = Array.isArray(listing?.data) ? listing.data : [];
  const tree = entries.map((entry) => (entry.type === "dir" ? `${entry.name}/` : entry.name));
  const files = new Set(entries.filter((entry) => entry.type === "file").map((entry) => entry.path));
  const manifestPaths = MANIFEST_FILES.filter((path) => files.has(path)).slice(0, MAX_MANIFESTS);

  const manifests = await Promise.all(
    manifestPaths.map(async (path) => {
      const response = await absentOn404(
        octokit.rest.repos.getContent({ owner: repo.owner, repo: repo.repo, path, ...at, mediaType: { format: "raw" } }),
      );
      return response ? { path, content: truncate(toText(response.data), MAX_MANIFEST_CHARS) } : undefined;
    }),
  );

  const readmeText = readme ? truncate(toText(readme.data), MAX_README_CHARS) : "";
  return {
    tree,
    ...(readmeText.trim() ? { readme: readmeText } : {}),
    manifests: manifests.filter((manifest) => manifest !== undefined),
  };
}

/** The context as prompt text: listing, manifests, then the README, within `MAX_CONTEXT_CHARS`. */
export function renderRepoContext(context: RepoContext): string {
  const sections: string[] = [];
  if (context.tree.length > 0) {
    const shown = context.tree.slice(0, MAX_TREE_ENTRIES);
    const more = context.tree.length - shown.length;
    sections.push(`Top-level files: ${shown.join(", ")}${more > 0 ? ` (and ${more} more)` : ""}`);
  }
  for (const manifest of context.manifests) sections.push(fenced(manifest.path, manifest.content));
  if (context.readme) sections.push(fenced("README (excerpt)", context.readme));

  const text = sections.join("\n\n");
  return truncate(text, MAX_CONTEXT_CHARS);
}

/** A labelled code block whose fence is longer than any backtick run inside the content. */
function fenced(label: string, content: string): string {
  const longestRun = Math.max(2, ...[...content.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = "`".repeat(longestRun + 1);
  return `${label}:\n${fence}\n${content.trimEnd()}\n${fence}`;
}

const TRUNCATED = "\n…(truncated)";

/** Cuts a text to at most `max` characters, saying so. */
function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - TRUNCATED.length)}${TRUNCATED}` : text;
}

/** Raw media type answers arrive as text or bytes depending on the content type GitHub sends. */
function toText(data: unknown): string {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return new TextDecoder().decode(bytes);
  }
  // Without the raw media type the contents API answers JSON with base64 content.
  if (data && typeof data === "object" && "content" in data && typeof data.content === "string") {
    return Buffer.from(data.content, "base64").toString("utf8");
  }
  return "";
}

/** Like `Promise.all` for two, but waits for both before failing, so no request is left in flight. */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === "rejected") throw first.reason;
  if (second.status === "rejected") throw second.reason;
  return [first.value, second.value];
}

async function absentOn404<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if ((error as { status?: unknown }).status === 404) return undefined;
    throw error;
  }
}
