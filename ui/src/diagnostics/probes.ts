// The probe list as it fills in: the engine reports each probe starting and
// finishing (ids such as `tcp/127.0.0.1:443`), and the screen shows them in
// groups, in the order a connection is built.
import type { ProbeUpdate } from "../bindings";
import type { MessageKey } from "../i18n";

export type ProbeGroup = "dns" | "tcp" | "tls" | "http" | "proxy" | "control";
export type ProbeStatus = "running" | "ok" | "failed";

export interface ProbeRow {
  id: string;
  group: ProbeGroup;
  /** The part of the label that is not translated: an address, a record type, an environment id. */
  subject: string;
  status: ProbeStatus;
  /** The engine's technical result (English evidence, shown left-to-right). */
  summary: string;
}

export const GROUPS: readonly ProbeGroup[] = ["dns", "tcp", "tls", "http", "proxy", "control"];

export const GROUP_LABELS: Record<ProbeGroup, MessageKey> = {
  dns: "diagnostics.group.dns",
  tcp: "diagnostics.group.tcp",
  tls: "diagnostics.group.tls",
  http: "diagnostics.group.http",
  proxy: "diagnostics.group.proxy",
  control: "diagnostics.group.control",
};

/** Which group a probe id belongs to and what it is about. */
export function classify(id: string): { group: ProbeGroup; subject: string } {
  const [kind, ...rest] = id.split("/");
  const tail = rest.join("/");
  if (kind === "dns") {
    const [resolver, record] = rest;
    return { group: "dns", subject: `${record ?? ""} · ${resolver ?? ""}` };
  }
  if (kind === "tcp") return { group: "tcp", subject: tail };
  if (kind.startsWith("tls")) return { group: "tls", subject: `TLS ${kind.slice(3)} · ${tail}` };
  if (kind === "http") {
    const [environment, route] = rest;
    return { group: route === "proxy" ? "proxy" : "http", subject: environment ?? "" };
  }
  return { group: "control", subject: tail };
}

/** The rows after one more update: a probe keeps its place, its state moves on. */
export function applyUpdate(rows: readonly ProbeRow[], update: ProbeUpdate): ProbeRow[] {
  const status: ProbeStatus = !update.finished ? "running" : update.ok ? "ok" : "failed";
  const index = rows.findIndex((row) => row.id === update.probe);
  if (index >= 0) {
    // A late "started" never undoes a finish.
    if (rows[index].status !== "running" && !update.finished) return [...rows];
    const next = [...rows];
    next[index] = { ...rows[index], status, summary: update.summary };
    return next;
  }
  return [...rows, { id: update.probe, ...classify(update.probe), status, summary: update.summary }];
}

/** The rows of each group that has any, in connection order. */
export function grouped(rows: readonly ProbeRow[]): { group: ProbeGroup; rows: ProbeRow[] }[] {
  return GROUPS.map((group) => ({ group, rows: rows.filter((row) => row.group === group) })).filter(
    (entry) => entry.rows.length > 0,
  );
}

/** What to diagnose: `local` stands alone; ZATCA's environments combine. */
export function toggleEnvironment(chosen: readonly string[], id: string): string[] {
  if (chosen.includes(id)) return chosen.filter((other) => other !== id);
  if (id === "local") return ["local"];
  return [...chosen.filter((other) => other !== "local"), id];
}

/** When a past run started, in the Gregorian calendar its report uses. */
export function formatWhen(iso: string, language: "en" | "ar"): string {
  const locale = language === "ar" ? "ar-SA-u-ca-gregory-nu-arab" : "en-GB-u-ca-gregory";
  return new Date(iso).toLocaleString(locale, { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" }) + " UTC";
}
