// The probe list as it fills in: the engine reports each probe starting and
// finishing (ids such as `tcp/127.0.0.1:443`), and the screen shows them in
// groups, in the order a connection is built.
import type { ProbeUpdate } from "../bindings";
import { intlLocale, type MessageKey } from "../i18n";

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
  return new Date(iso).toLocaleString(intlLocale(language), { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" }) + " UTC";
}

// The engine's progress lines are English evidence; the Arabic screen says
// the same in Arabic, keeping addresses, versions and codes as they are.
// Lines not listed here (an OS error's own words) stay as they came.
const ARABIC_SUMMARIES: [RegExp, string][] = [
  [/^connected$/, "متصل"],
  [/^connection refused \(reset\)$/, "رُفض الاتصال (RST)"],
  [/^timed out \(no answer\)$/, "انتهت المهلة دون رد"],
  [/^unreachable: (.*)$/, "تعذّر الوصول: $1"],
  [/^(TLSv[\d_.]+), trusted chain$/, "$1، سلسلة شهادات موثوقة"],
  [/^(TLSv[\d_.]+), UNTRUSTED chain$/, "$1، سلسلة شهادات غير موثوقة"],
  [/^handshake stalled$/, "توقفت المصافحة دون رد"],
  [/^version refused: (.*)$/, "رُفض الإصدار: $1"],
  [/^HTTP (\d+)$/, "HTTP $1"],
  [/^HTTP (\d+): the answer expected to a GET here, so the gateway is reachable$/, "HTTP $1: الرد المتوقع على طلب GET هنا، فالبوابة متاحة"],
  [/^failed at name lookup \(DNS\): (.*)$/, "فشل في مرحلة تحليل الاسم (DNS): $1"],
  [/^failed at the proxy: (.*)$/, "فشل عند الخادم الوكيل: $1"],
  [/^failed at connection \(TCP\): (.*)$/, "فشل في مرحلة الاتصال (TCP): $1"],
  [/^failed at secure handshake \(TLS\): (.*)$/, "فشل في مرحلة المصافحة الآمنة (TLS): $1"],
  [/^failed at HTTP request: (.*)$/, "فشل في مرحلة طلب HTTP: $1"],
  [/^resolved: (.*)$/, "العناوين: $1"],
  [/^no records of this type$/, "لا توجد سجلات من هذا النوع"],
  [/^NXDOMAIN \(no such name\)$/, "NXDOMAIN (الاسم غير موجود)"],
  [/^SERVFAIL \(the resolver failed\)$/, "SERVFAIL (أخفق خادم DNS)"],
  [/^REFUSED by the resolver$/, "REFUSED (رفض خادم DNS الطلب)"],
];

/** A probe's result line in the screen's language; `localized` is false when it stays as the engine wrote it. */
export function probeSummary(summary: string, language: "en" | "ar"): { text: string; localized: boolean } {
  if (language === "en") return { text: summary, localized: true };
  for (const [pattern, arabic] of ARABIC_SUMMARIES) {
    if (pattern.test(summary)) return { text: summary.replace(pattern, arabic), localized: true };
  }
  return { text: summary, localized: false };
}

/** fatoora-probe-kit's DIAGNOSTICS_REPORT cap (4 MiB): the app refuses more anyway. */
export const SERVER_JSON_MAX_BYTES = 4 * 1024 * 1024;
