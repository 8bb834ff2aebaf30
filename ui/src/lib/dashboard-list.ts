/**
 * The dashboards list: folders from file paths, search by title and tag. Pure.
 */

/** What the list needs of a dashboard file. */
export interface ListedDashboard {
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  /** Absolute path of the file. */
  readonly file: string;
}

/** The folder of a file path (`/a/b/c.yaml` → `/a/b`). */
export function folderOf(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i < 0 ? '' : file.slice(0, i);
}

/**
 * Whether `d` matches the search: every word of `search` in its title, uid or a tag
 * (case-insensitive), and `tag` among its tags when given.
 */
export function matchesSearch(d: ListedDashboard, search: string, tag: string): boolean {
  if (tag !== '' && !d.tags.includes(tag)) return false;
  const hay = [d.title, d.uid, ...d.tags].join('\n').toLowerCase();
  return search
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '')
    .every((w) => hay.includes(w));
}

/** `list` grouped by folder, folders in first-seen order, dashboards by title within each. */
export function groupByFolder<T extends ListedDashboard>(list: readonly T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const d of list) {
    const f = folderOf(d.file);
    groups.set(f, [...(groups.get(f) ?? []), d]);
  }
  return [...groups].map(([f, ds]) => [f, ds.sort((a, b) => a.title.localeCompare(b.title))]);
}
