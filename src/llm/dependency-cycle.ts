/**
 * Finds one dependency cycle among tasks, or null when there is none.
 * Returns the ids along the cycle with the first repeated at the end (`["t1", "t2", "t1"]`),
 * so an error message can show the loop. Deps naming unknown ids are ignored here.
 */
export function findCycle(tasks: ReadonlyArray<{ id: string; deps: readonly string[] }>): string[] | null {
  const depsById = new Map(tasks.map((task) => [task.id, task.deps]));
  const done = new Set<string>();
  // Ids on the current depth-first path, in order; a dep found on it closes a cycle.
  const path: string[] = [];
  const onPath = new Set<string>();

  const visit = (id: string): string[] | null => {
    if (onPath.has(id)) return [...path.slice(path.indexOf(id)), id];
    if (done.has(id) || !depsById.has(id)) return null;
    path.push(id);
    onPath.add(id);
    for (const dep of depsById.get(id) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    onPath.delete(id);
    done.add(id);
    return null;
  };

  for (const task of tasks) {
    const cycle = visit(task.id);
    if (cycle) return cycle;
  }
  return null;
}
