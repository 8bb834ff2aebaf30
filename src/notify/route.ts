import {
  DEFAULT_GROUP_INTERVAL_MS,
  DEFAULT_GROUP_WAIT_MS,
  DEFAULT_REPEAT_INTERVAL_MS,
  type RouteConfig,
} from './config.js';
import { labelSetString } from './label-set.js';
import { matchersString, matchesLabels, type Matcher } from './matchers.js';
import type { LabelSet } from './types.js';

/**
 * The routing tree (Alertmanager 0.25 dispatch/route.go). A child inherits its parent's receiver,
 * `group_by`, `group_wait`, `group_interval` and `repeat_interval` unless it sets them; as in
 * Alertmanager, `mute_time_intervals` and `active_time_intervals` are not inherited (each route names
 * its own). Matching is depth-first, left to right: the first matching child ends the search at its
 * level unless it has `continue: true`; a node none of whose children match is itself the match.
 */

/** The options an alert gets from the route that matched it. Durations in ms. */
export interface RouteOpts {
  readonly receiver: string;
  /** Label names to group by (ignored when `groupByAll`). */
  readonly groupBy: readonly string[];
  readonly groupByAll: boolean;
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
  readonly muteTimeIntervals: readonly string[];
  readonly activeTimeIntervals: readonly string[];
}

/** A node of the tree, immutable once built by {@link buildRouteTree}. */
export class Route {
  readonly parent: Route | undefined;
  readonly opts: RouteOpts;
  /** Sorted as Alertmanager sorts them (they form the route key). */
  readonly matchers: readonly Matcher[];
  readonly continue: boolean;
  readonly routes: readonly Route[];
  readonly #key: string;

  constructor(config: RouteConfig, parent?: Route) {
    this.parent = parent;
    const base = parent?.opts ?? {
      receiver: '',
      groupBy: [],
      groupByAll: false,
      groupWaitMs: DEFAULT_GROUP_WAIT_MS,
      groupIntervalMs: DEFAULT_GROUP_INTERVAL_MS,
      repeatIntervalMs: DEFAULT_REPEAT_INTERVAL_MS,
      muteTimeIntervals: [],
      activeTimeIntervals: [],
    };
    this.opts = {
      receiver: config.receiver ?? base.receiver,
      // Alertmanager: explicit labels replace the parent's and clear `...`; `...` alone sets
      // group-by-all and keeps the parent's names (unused while group-by-all is set).
      groupBy: config.groupBy ?? base.groupBy,
      groupByAll: config.groupBy !== undefined ? false : config.groupByAll || base.groupByAll,
      groupWaitMs: config.groupWaitMs ?? base.groupWaitMs,
      groupIntervalMs: config.groupIntervalMs ?? base.groupIntervalMs,
      repeatIntervalMs: config.repeatIntervalMs ?? base.repeatIntervalMs,
      muteTimeIntervals: config.muteTimeIntervals,
      activeTimeIntervals: config.activeTimeIntervals,
    };
    this.matchers = config.matchers;
    this.continue = config.continue;
    this.#key = (parent ? `${parent.key()}/` : '') + matchersString(this.matchers);
    this.routes = config.routes.map((c) => new Route(c, this));
  }

  /** Alertmanager's `Route.Key`: the matchers of the path from the root, e.g. `{}/{severity="page"}`. */
  key(): string {
    return this.#key;
  }

  /** Alertmanager's `Route.ID`: the key plus the position among its siblings (`{}/{a="b"}/0`). */
  id(): string {
    if (this.parent === undefined) return this.#key;
    return `${this.#key}/${this.parent.routes.indexOf(this)}`;
  }

  /** The routes an alert with these labels goes to (empty when this node does not match). */
  match(labels: LabelSet): Route[] {
    if (!matchesLabels(this.matchers, labels)) return [];
    const all: Route[] = [];
    for (const child of this.routes) {
      const matches = child.match(labels);
      all.push(...matches);
      if (matches.length > 0 && !child.continue) break;
    }
    if (all.length === 0) all.push(this);
    return all;
  }

  /** Visits this node and its descendants depth-first. */
  walk(visit: (route: Route) => void): void {
    visit(this);
    for (const r of this.routes) r.walk(visit);
  }
}

/** The tree for a parsed `route:` section. */
export function buildRouteTree(config: RouteConfig): Route {
  return new Route(config);
}

/** The labels an alert is grouped by on `route`: its labels named in `group_by`, or all with `...`. */
export function groupLabelsFor(labels: LabelSet, route: Route): Record<string, string> {
  const out: Record<string, string> = {};
  const names = new Set(route.opts.groupBy);
  for (const [name, value] of Object.entries(labels)) {
    if (route.opts.groupByAll || names.has(name)) out[name] = value;
  }
  return out;
}

/** Alertmanager's group key: `<route key>:<group labels>`, e.g. `{}/{severity="page"}:{alertname="X"}`. */
export function groupKeyFor(route: Route, groupLabels: LabelSet): string {
  return `${route.key()}:${labelSetString(groupLabels)}`;
}
