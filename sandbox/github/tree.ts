/**
 * SANDBOX FAKE — never part of src/. A commit's whole file tree (path → content), shared with
 * its parent's: a commit keeps only what it changed and a link to the tree it changed. A
 * benchmark with ten thousand merged tasks makes tens of thousands of commits over a tree of
 * twenty thousand files; a full copy per commit would hold hundreds of millions of entries.
 * A chain longer than FLATTEN_DEPTH is copied once, so a look-up follows at most that many links.
 */
const FLATTEN_DEPTH = 64;

export class Tree implements ReadonlyMap<string, string> {
  /** Total size in KiB, each file rounded up (the REST `size` of a repository). */
  readonly kib: number;
  readonly size: number;
  private treeId?: string;

  private constructor(
    private readonly base: Tree | null,
    /** Own changes: null is a file deleted from `base`. Without a base, every file. */
    private readonly own: ReadonlyMap<string, string | null>,
    private readonly depth: number,
    size: number,
    kib: number,
  ) {
    this.size = size;
    this.kib = kib;
  }

  static of(files: Iterable<readonly [string, string]>): Tree {
    const own = new Map(files);
    let kib = 0;
    for (const content of own.values()) kib += kibOf(content);
    return new Tree(null, own, 0, own.size, kib);
  }

  static readonly empty: Tree = Tree.of([]);

  /** This tree with `changes` applied (null deletes a file). */
  with(changes: Iterable<readonly [string, string | null]>): Tree {
    const own = new Map<string, string | null>();
    let size = this.size;
    let kib = this.kib;
    for (const [path, content] of changes) {
      const before = own.has(path) ? (own.get(path) ?? undefined) : this.get(path);
      if (before !== undefined) {
        size--;
        kib -= kibOf(before);
      }
      if (content !== null) {
        size++;
        kib += kibOf(content);
      }
      own.set(path, content);
    }
    if (this.depth + 1 > FLATTEN_DEPTH) {
      const flat = new Map(this);
      for (const [path, content] of own) {
        if (content === null) flat.delete(path);
        else flat.set(path, content);
      }
      return new Tree(null, flat, 0, flat.size, kib);
    }
    return new Tree(this, own, this.depth + 1, size, kib);
  }

  get(path: string): string | undefined {
    for (let tree: Tree | null = this; tree; tree = tree.base) {
      const content = tree.own.get(path);
      if (content !== undefined) return content ?? undefined;
      if (tree.own.has(path)) return undefined;
    }
    return undefined;
  }

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  /** Every file, the oldest layer first, so an insertion order like a copied Map's. */
  *entries(): MapIterator<[string, string]> {
    const layers: Array<ReadonlyMap<string, string | null>> = [];
    for (let tree: Tree | null = this; tree; tree = tree.base) layers.push(tree.own);
    const merged = new Map<string, string>();
    for (const layer of layers.reverse()) {
      for (const [path, content] of layer) {
        if (content === null) merged.delete(path);
        else merged.set(path, content);
      }
    }
    yield* merged.entries();
  }

  *keys(): MapIterator<string> {
    for (const [path] of this.entries()) yield path;
  }

  *values(): MapIterator<string> {
    for (const [, content] of this.entries()) yield content;
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }

  forEach(callback: (value: string, key: string, map: ReadonlyMap<string, string>) => void, thisArg?: unknown): void {
    for (const [path, content] of this.entries()) callback.call(thisArg, content, path, this);
  }

  /** A stable id of the file list, computed once per tree (`compute` hashes the listing). */
  idBy(compute: (paths: string[]) => string): string {
    this.treeId ??= compute([...this.keys()]);
    return this.treeId;
  }
}

function kibOf(content: string): number {
  return Math.ceil(content.length / 1024);
}
