import { LRUCache } from "lru-cache";
import { applyCheckDelta, type CheckDelta } from "../github/check-delta.js";
import type { IssueRead, SnapshotRead } from "../github/gateway.js";
import { toSnapshotRead, type SnapshotSource } from "../github/snapshot-read.js";

/**
 * Each epic's last snapshot, kept so that a check turning green is merged on GitHub's word
 * alone: the throttle spaces GraphQL reads like writes, so reading again before the merge would
 * cost it a second. In one process only (with Redis an epic's events reach any process).
 *
 * A kept snapshot is *current* while every event about its epic since it was read was a check
 * completion it could take in (see applyCheckDelta): any other event, a read or a delta racing
 * with a read, and any write of Orchestra's that changes what was read (a merge, a PR closed, a
 * branch updated) makes it stale, and the next reconcile reads GitHub. Each delta taken in lets
 * one reconcile use it; a wake-up or a resync reads GitHub as always.
 */

interface Entry {
  source?: SnapshotSource;
  /** Bumped by every event and every read, so that a read overtaken by an event is not kept as current. */
  version: number;
  current: boolean;
  /** A delta was taken in since the last reconcile used the snapshot. */
  ready: boolean;
  /** About what the snapshot holds in memory (its JSON's length). */
  bytes: number;
}

/** A snapshot larger than this is not kept: its epic reads GitHub every time, as with Redis. */
const MAX_SNAPSHOT_BYTES = 1024 * 1024;

/** One epic's snapshot, for the reconcile that holds the epic. */
export interface EpicSnapshot {
  /** The snapshot a check delta brought up to date, else `readGitHub()`'s (kept for the next delta). */
  read(branches: string[], ownAppId: number | undefined, readGitHub: () => Promise<SnapshotRead>): Promise<SnapshotRead>;
  /**
   * The issue as last read or written by this reconcile, while no event about the epic came in
   * since (so nobody else has edited it, as far as GitHub has told): a body write needs no
   * read before it. Undefined: read it again.
   */
  issue(): IssueRead | undefined;
  wroteBody(issue: IssueRead): void;
  invalidate(): void;
}

export class SnapshotCache {
  private readonly entries: LRUCache<string, Entry>;

  constructor(options: { max?: number; maxBytes?: number; maxAgeMs?: number } = {}) {
    // A snapshot older than this is doubted: a lost webhook would otherwise be trusted for longer.
    // Bounded by bytes too: anyone can make an epic's snapshot large (long comments, PRs on its branch names).
    this.entries = new LRUCache({
      max: options.max ?? 500,
      maxSize: options.maxBytes ?? 32 * 1024 * 1024,
      sizeCalculation: (entry) => entry.bytes,
      ttl: options.maxAgeMs ?? 10 * 60_000,
      ttlAutopurge: true,
    });
  }

  /** A read of the epic starts: the token says whether an event came in before it ended. */
  beginRead(epic: string): number {
    const entry = this.entry(epic);
    entry.version++;
    return entry.version;
  }

  /** Keeps what a read returned, as current only if nothing about the epic happened since it began. */
  store(epic: string, read: SnapshotRead, token: number): void {
    const entry = this.entry(epic);
    const bytes = read.source ? JSON.stringify(read.source.data).length : 0;
    if (!read.source || bytes > MAX_SNAPSHOT_BYTES) {
      this.invalidate(epic);
      delete entry.source;
      return;
    }
    entry.source = read.source;
    entry.bytes = bytes;
    entry.current = entry.version === token;
    entry.ready = false;
    // Its age counts from this read, and its size is counted anew.
    this.entries.set(epic, entry);
  }

  /** Something happened to the epic that the snapshot cannot take in: the next reconcile reads GitHub. */
  invalidate(epic: string): void {
    const entry = this.entries.get(epic);
    if (!entry) return;
    entry.version++;
    entry.current = false;
    entry.ready = false;
  }

  /** Every epic of a repository (`owner/repo#` keys): an event names the repository before it names an epic. */
  invalidateRepository(prefix: string): void {
    for (const epic of this.entries.keys()) if (epic.startsWith(prefix)) this.invalidate(epic);
  }

  /** A check finished: true when the epic's snapshot took it in and its next reconcile can use it. */
  apply(epic: string, delta: CheckDelta): boolean {
    const entry = this.entries.get(epic);
    if (!entry?.source || !entry.current) {
      this.invalidate(epic);
      return false;
    }
    entry.version++;
    const applied = applyCheckDelta(entry.source.data, entry.source.branches.length, delta);
    entry.current = applied !== "stale";
    // A run whose suite may still add runs is taken in, but decides nothing until the suite is done.
    entry.ready = applied === "taken";
    return entry.ready;
  }

  /**
   * The snapshot for a reconcile that a delta asked for, if it is current and was read for the
   * same branches; once per delta.
   */
  take(epic: string, branches: string[], ownAppId: number | undefined): SnapshotRead | undefined {
    const entry = this.entries.get(epic);
    const source = entry?.source;
    if (!entry || !source || !entry.current || !entry.ready) return undefined;
    if (source.ownAppId !== ownAppId || source.branches.join("\n") !== branches.join("\n")) return undefined;
    entry.ready = false;
    return toSnapshotRead(source);
  }

  /** Orchestra wrote the issue's body: a current snapshot keeps it as written. */
  wroteBody(epic: string, issue: Pick<IssueRead, "body" | "counts">): void {
    const entry = this.entries.get(epic);
    const read = entry?.source?.data.repository?.issue;
    if (!entry?.current || !read) return;
    read.body = issue.body;
    if (issue.counts && read.userContentEdits) read.userContentEdits.totalCount = issue.counts.edits;
  }

  isCurrent(epic: string): boolean {
    return this.entries.get(epic)?.current ?? false;
  }

  /** The cache as one reconcile of one epic uses it. */
  forEpic(epic: string): EpicSnapshot {
    let issue: IssueRead | undefined;
    return {
      read: async (branches, ownAppId, readGitHub) => {
        const cached = this.take(epic, branches, ownAppId);
        if (cached) {
          issue = cached.issue ?? undefined;
          return cached;
        }
        const token = this.beginRead(epic);
        const read = await readGitHub();
        this.store(epic, read, token);
        issue = read.issue ?? undefined;
        return read;
      },
      issue: () => (this.isCurrent(epic) ? issue : undefined),
      wroteBody: (written) => {
        issue = written;
        this.wroteBody(epic, written);
      },
      invalidate: () => this.invalidate(epic),
    };
  }

  private entry(epic: string): Entry {
    let entry = this.entries.get(epic);
    if (!entry) {
      entry = { version: 0, current: false, ready: false, bytes: 1 };
      this.entries.set(epic, entry);
    }
    return entry;
  }
}
