import { describe, expect, it } from "vitest";
import { applyUpdate, classify, formatWhen, grouped, probeSummary, toggleEnvironment, type ProbeRow } from "./probes";

const started = (probe: string) => ({ probe, finished: false, ok: false, summary: "" });
const finished = (probe: string, ok: boolean, summary: string) => ({ probe, finished: true, ok, summary });

describe("classify", () => {
  it("names each engine probe id's group and subject", () => {
    expect(classify("dns/system/AAAA")).toEqual({ group: "dns", subject: "AAAA · system" });
    expect(classify("tcp/[::1]:443")).toEqual({ group: "tcp", subject: "[::1]:443" });
    expect(classify("tls1.3/127.0.0.1:8443")).toEqual({ group: "tls", subject: "TLS 1.3 · 127.0.0.1:8443" });
    expect(classify("http/simulation/direct")).toEqual({ group: "http", subject: "simulation" });
    expect(classify("http/core/proxy")).toEqual({ group: "proxy", subject: "core" });
    expect(classify("control")).toEqual({ group: "control", subject: "" });
  });
});

describe("applyUpdate", () => {
  it("adds a started probe as running, then finishes it in place", () => {
    let rows: ProbeRow[] = [];
    rows = applyUpdate(rows, started("tcp/127.0.0.1:1"));
    rows = applyUpdate(rows, started("tcp/127.0.0.1:2"));
    expect(rows.map((row) => row.status)).toEqual(["running", "running"]);
    rows = applyUpdate(rows, finished("tcp/127.0.0.1:2", false, "timed out"));
    rows = applyUpdate(rows, finished("tcp/127.0.0.1:1", true, "connected"));
    expect(rows.map((row) => [row.id, row.status, row.summary])).toEqual([
      ["tcp/127.0.0.1:1", "ok", "connected"],
      ["tcp/127.0.0.1:2", "failed", "timed out"],
    ]);
  });

  it("keeps a finish when a start arrives late", () => {
    const rows = applyUpdate(applyUpdate([], finished("control", true, "HTTP 200")), started("control"));
    expect(rows[0].status).toBe("ok");
  });
});

describe("grouped", () => {
  it("orders groups as a connection is built and leaves out empty ones", () => {
    let rows: ProbeRow[] = [];
    for (const id of ["http/core/direct", "tls1.2/a", "tcp/a", "http/core/proxy"]) rows = applyUpdate(rows, started(id));
    expect(grouped(rows).map((entry) => entry.group)).toEqual(["tcp", "tls", "http", "proxy"]);
  });
});

describe("toggleEnvironment", () => {
  it("keeps the local simulator on its own", () => {
    expect(toggleEnvironment(["local"], "sandbox")).toEqual(["sandbox"]);
    expect(toggleEnvironment(["sandbox", "production"], "local")).toEqual(["local"]);
    expect(toggleEnvironment(["sandbox"], "simulation")).toEqual(["sandbox", "simulation"]);
    expect(toggleEnvironment(["sandbox", "simulation"], "sandbox")).toEqual(["simulation"]);
  });
});

describe("formatWhen", () => {
  it("dates a run in the Gregorian calendar and UTC, as its report does", () => {
    expect(formatWhen("2026-11-22T03:39:10Z", "en")).toBe("22 Nov 2026, 03:39:10 UTC");
    const arabic = formatWhen("2026-11-22T03:39:10Z", "ar");
    // Gregorian 2026 in Western digits, not the Hijri year 1448.
    expect(arabic).toContain("2026");
    expect(arabic).not.toContain("1448");
    expect(arabic).not.toMatch(/[٠-٩]/);
  });
});

describe("probeSummary", () => {
  it("says the engine's known results in Arabic and keeps the technical tokens", () => {
    expect(probeSummary("connected", "ar")).toEqual({ text: "متصل", localized: true });
    expect(probeSummary("TLSv1_3, trusted chain", "ar").text).toBe("TLSv1_3، سلسلة شهادات موثوقة");
    expect(probeSummary("resolved: 1.2.3.4, ::1", "ar").text).toBe("العناوين: 1.2.3.4, ::1");
    expect(probeSummary("failed at connection (TCP): timed out", "ar").text).toBe("فشل في مرحلة الاتصال (TCP): timed out");
    expect(probeSummary("failed at name lookup (DNS): no such host", "ar").text).toBe("فشل في مرحلة تحليل الاسم (DNS): no such host");
    expect(probeSummary("HTTP 405: the answer expected to a GET here, so the gateway is reachable", "ar").text).toBe("HTTP 405: الرد المتوقع على طلب GET هنا، فالبوابة متاحة");
    expect(probeSummary("HTTP 405", "ar").text).toBe("HTTP 405");
  });

  it("leaves English alone and an unknown line as it came", () => {
    expect(probeSummary("connected", "en")).toEqual({ text: "connected", localized: true });
    expect(probeSummary("os error 113", "ar")).toEqual({ text: "os error 113", localized: false });
  });
});
