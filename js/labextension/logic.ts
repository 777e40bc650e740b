// The sidebar's pure decisions: which badges a version wears, which metrics a row shows,
// what a promotion is called. No DOM, no requests: unit-tested on their own.

import { formatNumber } from "../shared/format";
import type { Metrics, ModelVersion, Promotion, RegisteredModel, Stage } from "./types";

export interface Badge {
  text: string;
  kind: "stage" | "alias";
  stage?: Stage; // for the colour of a stage badge
  title: string;
}

/** A version's stage (unless None) first, then its aliases, alphabetically. */
export function versionBadges(version: ModelVersion): Badge[] {
  const badges: Badge[] = [];
  if (version.current_stage && version.current_stage !== "None") {
    badges.push({
      text: version.current_stage,
      kind: "stage",
      stage: version.current_stage,
      title: `stage: ${version.current_stage}`,
    });
  }
  for (const alias of [...version.aliases].sort()) {
    badges.push({ text: `@${alias}`, kind: "alias", title: `alias ${alias} -> version ${version.version}` });
  }
  return badges;
}

/** What a collapsed model row says about its versions: "Production v3", "@champion v3". */
export function modelBadges(model: RegisteredModel): Badge[] {
  const badges: Badge[] = [];
  for (const stage of ["Production", "Staging"] as const) {
    const version = model.latest_versions.find((v) => v.current_stage === stage);
    if (version)
      badges.push({
        text: `${stage} v${version.version}`,
        kind: "stage",
        stage,
        title: `newest version in ${stage}: ${version.version}`,
      });
  }
  for (const [alias, version] of Object.entries(model.aliases).sort(([a], [b]) => a.localeCompare(b))) {
    badges.push({ text: `@${alias} v${version}`, kind: "alias", title: `alias ${alias} -> version ${version}` });
  }
  return badges;
}

/** Up to `limit` metrics as "name value", names in order, values as the widgets show them. */
export function keyMetrics(metrics: Metrics, limit = 3): string[] {
  return Object.keys(metrics)
    .sort((a, b) => a.localeCompare(b))
    .slice(0, limit)
    .map((key) => `${key} ${metrics[key] === null ? "–" : formatNumber(metrics[key])}`);
}

// The registry's rule (labtrack/registry/validation.py), checked early to explain it in the
// dialog; the server has the last word. 'latest', '3' and 'v3' read as version references.
const ALIAS = /^[A-Za-z0-9_-]{1,256}$/;

/** Why `alias` cannot be used ("" when it can). */
export function aliasProblem(alias: string): string {
  const text = alias.trim();
  if (!text) return "Type an alias, e.g. champion.";
  if (!ALIAS.test(text)) return "An alias holds letters, digits, '_' and '-' only.";
  if (/^(latest|v?\d+)$/i.test(text)) return `'${text}' is reserved: it already names a version.`;
  return "";
}

export function promotionLabel(promotion: Promotion): string {
  return promotion.kind === "stage" ? `Move to ${promotion.stage}` : `Set alias @${promotion.alias.trim()}`;
}

/** The progress line shown on the version while its promotion runs. */
export function promotionProgress(promotion: Promotion): string {
  return promotion.kind === "stage" ? `Moving to ${promotion.stage}…` : `Setting @${promotion.alias.trim()}…`;
}

/** Key of a version in the model's per-item progress and error maps. */
export function versionKey(name: string, version: string): string {
  return `${name}\u0000${version}`;
}

/** A version's source run: its name, else the start of its id (the run was deleted). */
export function runLabel(version: ModelVersion): string {
  if (!version.run_id) return "no source run";
  return version.run_name ?? version.run_id.slice(0, 8);
}
