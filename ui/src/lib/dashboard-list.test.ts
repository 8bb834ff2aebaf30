import { describe, expect, it } from 'vitest';
import { folderOf, groupByFolder, matchesSearch } from './dashboard-list.js';

const d = (title: string, tags: string[], file: string) => ({ uid: title.toLowerCase(), title, tags, file });

describe('matchesSearch', () => {
  const node = d('Node Exporter', ['linux', 'hosts'], '/x/node.yaml');
  it.each([
    ['', '', true],
    ['node', '', true],
    ['NODE exp', '', true],
    ['linux', '', true],
    ['node windows', '', false],
    ['', 'hosts', true],
    ['', 'db', false],
    ['node', 'db', false],
  ])('%j tag %j → %s', (search, tag, want) => {
    expect(matchesSearch(node, search, tag)).toBe(want);
  });
});

describe('groupByFolder', () => {
  it('groups by the folder of each file and sorts by title', () => {
    const list = [
      d('B', [], '/data/dashboards/b.yaml'),
      d('Z', [], '/etc/kanshi/z.json'),
      d('A', [], '/data/dashboards/a.yaml'),
    ];
    expect(groupByFolder(list).map(([f, ds]) => [f, ds.map((x) => x.title)])).toEqual([
      ['/data/dashboards', ['A', 'B']],
      ['/etc/kanshi', ['Z']],
    ]);
    expect(folderOf('c:\\dash\\x.yaml')).toBe('c:\\dash');
    expect(folderOf('x.yaml')).toBe('');
  });
});
