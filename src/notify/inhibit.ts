import type { InhibitRuleConfig } from './config.js';
import { isResolvedAt, type StoredAlert } from './alert-store.js';
import { matchesLabels, type Matcher } from './matchers.js';
import type { LabelSet } from './types.js';

/**
 * Inhibition (Alertmanager 0.25 inhibit/inhibit.go): an alert matching a rule's target matchers is
 * muted while a firing alert matches its source matchers and has the same values for the `equal`
 * labels (an absent label equals an absent one). When the target also matches the source side, source
 * alerts that themselves match the target side are not considered, so an alert never inhibits itself
 * and two alerts on both sides do not mute each other.
 */

interface Rule {
  readonly sourceMatchers: readonly Matcher[];
  readonly targetMatchers: readonly Matcher[];
  readonly equal: readonly string[];
  /** Source alerts seen by fingerprint (the latest version; resolved ones are skipped when asked). */
  readonly sources: Map<string, StoredAlert>;
}

/** The inhibitor: fed every stored alert, asked per alert whether it is inhibited and by whom. */
export class Inhibitor {
  readonly #rules: Rule[];

  constructor(rules: readonly InhibitRuleConfig[]) {
    this.#rules = rules.map((r) => ({ ...r, sources: new Map() }));
  }

  /** Records an alert that was put (call for every put, in order). */
  observe(alert: StoredAlert): void {
    for (const r of this.#rules) {
      if (matchesLabels(r.sourceMatchers, alert.labels)) r.sources.set(alert.fingerprint, alert);
      else r.sources.delete(alert.fingerprint);
    }
  }

  /** Forgets a deleted alert. */
  forget(fingerprint: string): void {
    for (const r of this.#rules) r.sources.delete(fingerprint);
  }

  /**
   * Fingerprints of the firing source alerts that inhibit an alert with `labels` at `atMs` (the first
   * found per rule, as Alertmanager reports one); empty when it is not inhibited.
   */
  inhibitedBy(labels: LabelSet, atMs: number): string[] {
    const out: string[] = [];
    for (const r of this.#rules) {
      if (!matchesLabels(r.targetMatchers, labels)) continue;
      const excludeTwoSided = matchesLabels(r.sourceMatchers, labels);
      for (const source of r.sources.values()) {
        if (isResolvedAt(source, atMs)) continue;
        if (!r.equal.every((n) => (source.labels[n] ?? '') === (labels[n] ?? ''))) continue;
        if (excludeTwoSided && matchesLabels(r.targetMatchers, source.labels)) continue;
        if (!out.includes(source.fingerprint)) out.push(source.fingerprint);
        break;
      }
      // Alertmanager stops at the first rule that inhibits.
      if (out.length > 0) break;
    }
    return out;
  }
}
