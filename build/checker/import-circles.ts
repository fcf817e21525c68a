import type { ImportEdge } from './layering.ts';

// Import circles between files: each strongly connected group of files (Tarjan's algorithm) with one circle
// through it spelled out, so a failure names the imports to cut.

export interface ImportCircle {
  /** Every file of the group, sorted: a stable name for the group. */
  files: string[];
  /** One circle through the group, its first file repeated at the end. */
  path: string[];
}

function graphOf(edges: ImportEdge[], include: (file: string) => boolean): Map<string, string[]> {
  const graph = new Map<string, Set<string>>();
  for (const edge of edges) {
    if (edge.target.kind !== 'file' || !include(edge.file) || !include(edge.target.path)) continue;
    if (!graph.has(edge.target.path)) graph.set(edge.target.path, new Set());
    const next = graph.get(edge.file) ?? new Set<string>();
    next.add(edge.target.path);
    graph.set(edge.file, next);
  }
  return new Map([...graph].map(([file, next]) => [file, [...next].sort()]));
}

function stronglyConnected(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== file);
    groups.push(group);
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
  return groups;
}

/** A shortest circle from the group's first file back to itself, by breadth-first search inside the group. */
function circleThrough(graph: Map<string, string[]>, members: Set<string>, start: string): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    for (const next of graph.get(queue[i]) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at = queue[i]; at !== start; at = cameFrom.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, queue[i]);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** The import circles among the files `include` accepts. */
export function importCircles(edges: ImportEdge[], include: (file: string) => boolean): ImportCircle[] {
  const graph = graphOf(edges, include);
  return stronglyConnected(graph)
    .filter((group) => group.length > 1 || (graph.get(group[0]) ?? []).includes(group[0]))
    .map((group) => {
      const files = group.sort();
      return { files, path: circleThrough(graph, new Set(files), files[0]) };
    })
    .sort((a, b) => a.files[0].localeCompare(b.files[0]));
}
