import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GitHubState, type Repo } from "../sandbox/github/state.js";
import { Tree } from "../sandbox/github/tree.js";

describe("the fake GitHub's shared file trees", () => {
  it("read like a copied Map after any changes, however long the chain (flattened past 64 links)", () => {
    const change = fc.tuple(fc.constantFrom("a", "b", "c", "d/e", "f"), fc.option(fc.string({ maxLength: 3000 }), { nil: null }));
    fc.assert(
      // A commit names each path once (its changes are a Map or an object).
      fc.property(fc.array(fc.uniqueArray(change, { maxLength: 4, selector: ([path]) => path }), { maxLength: 150 }), (commits) => {
        let tree = Tree.of([["README.md", "# r\n"]]);
        const model = new Map([["README.md", "# r\n"]]);
        for (const changes of commits) {
          tree = tree.with(changes);
          for (const [path, content] of changes) {
            if (content === null) model.delete(path);
            else model.set(path, content);
          }
        }
        expect([...tree]).toEqual([...model]);
        expect(tree.size).toBe(model.size);
        expect(tree.kib).toBe([...model.values()].reduce((sum, content) => sum + Math.ceil(content.length / 1024), 0));
        for (const path of ["a", "b", "d/e", "README.md", "missing"]) expect(tree.get(path)).toBe(model.get(path));
      }),
    );
  });

  it("tells ancestors like a walk through every parent", () => {
    // Commit i's parents are among commits 0..i-1, as in any git history.
    const history = fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(history, fc.nat(), fc.nat(), (parentPicks, a, b) => {
        const shas = parentPicks.map((_, i) => `c${i}`);
        const commits = new Map(
          shas.map((sha, i) => [sha, { parents: i === 0 ? [] : [...new Set(parentPicks[i]!.map((pick) => shas[pick % i]!))] }]),
        );
        const repo = { commits } as unknown as Repo;
        const reachable = (ancestor: string, from: string): boolean =>
          from === ancestor || commits.get(from)!.parents.some((parent) => reachable(ancestor, parent));
        const ancestor = shas[a % shas.length]!;
        const from = shas[b % shas.length]!;
        expect(new GitHubState(1, "app").isAncestor(repo, ancestor, from)).toBe(reachable(ancestor, from));
      }),
    );
  });
});
