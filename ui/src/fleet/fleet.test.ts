import { describe, expect, it } from "vitest";
import type { FleetOverview_Serialize, PendingUnit, TaxpayerView_Serialize } from "../bindings";
import {
  asciiDigits,
  assignOtps,
  bannerLevel,
  clock,
  countStates,
  csvForDisplay,
  csvFromDisplay,
  displayOffset,
  failedOnly,
  filterFleet,
  findingsByLine,
  otpCountdown,
  parseOtpList,
  searchForm,
  withNames,
} from "./fleet";

const environment = { id: "local", label: { en: "Local rehearsal", ar: "تجربة محلية" }, reaches_zatca: false };
const credential = (state: string) => ({ environment, state, step_label: null, renewing: false, expires_at: null, days_left: null });

const overviewTaxpayers: TaxpayerView_Serialize[] = [
  {
    vat_number: "399999999900003",
    organization_name: "مؤسسة المثال التجارية",
    units: [
      { id: "u-1", organization_name: "مؤسسة المثال التجارية", common_name: "TST-POS-1", serial: "1-TST|2-TST|3-aaa", organization_unit: "فرع جدة", credentials: [credential("issued")] },
      { id: "u-2", organization_name: "مؤسسة المثال التجارية", common_name: "TST-POS-2", serial: "1-TST|2-TST|3-bbb", organization_unit: "", credentials: [credential("csr-ready")] },
    ],
  },
  {
    vat_number: "311111111100003",
    organization_name: "Alpha Trading",
    units: [{ id: "u-3", organization_name: "Alpha Trading", common_name: "ALPHA-1", serial: "1-ALP|2-X|3-ccc", organization_unit: "", credentials: [credential("expired")] }],
  },
];

const taxpayers = withNames(overviewTaxpayers);

describe("search and filter", () => {
  it("finds a taxpayer by VAT number, typed in Arabic-Indic digits too, with all its units", () => {
    expect(filterFleet(taxpayers, "3999", "").map((t) => t.units.length)).toEqual([2]);
    expect(filterFleet(taxpayers, asciiDigits("٣١١١"), "")[0].organization_name).toBe("Alpha Trading");
    expect(filterFleet(taxpayers, "٣١١١", "")[0].organization_name).toBe("Alpha Trading");
  });

  it("finds units by serial or name and keeps only their taxpayer", () => {
    const found = filterFleet(taxpayers, "3-bbb", "");
    expect(found).toHaveLength(1);
    expect(found[0].units.map((u) => u.id)).toEqual(["u-2"]);
    expect(filterFleet(taxpayers, "المثال", "")[0].units).toHaveLength(2);
    expect(filterFleet(taxpayers, "alpha", "")[0].vat_number).toBe("311111111100003");
  });

  it("finds an Arabic name however its alef, ta marbuta, alef maqsura and marks are written", () => {
    expect(searchForm("مُؤَسَّسَةُ الأَمَل")).toBe(searchForm("مؤسسه الامل"));
    expect(searchForm("إآأٱا")).toBe("ااااا");
    expect(searchForm("مستشفى")).toBe("مستشفي");
    expect(searchForm("التـــجارية")).toBe("التجاريه");
    expect(filterFleet(taxpayers, "مؤسسه المثال", "")[0].units).toHaveLength(2);
    expect(filterFleet(taxpayers, "المِثَال التّجاريّة", "")[0].vat_number).toBe("399999999900003");
    expect(filterFleet(taxpayers, "فرع جده", "")[0].units.map((u) => u.id)).toEqual(["u-1"]);
    expect(filterFleet(taxpayers, "الأمل", "")).toEqual([]);
  });

  it("shows every organisation name of a VAT number, and finds each unit by its own", () => {
    const renamed = overviewTaxpayers.map((taxpayer) => ({
      ...taxpayer,
      units: taxpayer.units.map((unit) => (unit.id === "u-2" ? { ...unit, organization_name: "مؤسسة الأمل" } : unit)),
    }));
    const named = withNames(renamed);
    expect(named.map((t) => t.names)).toEqual([["مؤسسة المثال التجارية", "مؤسسة الأمل"], ["Alpha Trading"]]);
    expect(named[0].units.map((u) => u.organization_name)).toEqual(["مؤسسة المثال التجارية", "مؤسسة الأمل"]);
    expect(filterFleet(named, "مؤسسه الامل", "").flatMap((t) => t.units.map((u) => u.id))).toEqual(["u-2"]);
    expect(filterFleet(named, "399999999900003", "")[0].units).toHaveLength(2);
  });

  it("filters by a credential state and combines with the search", () => {
    expect(filterFleet(taxpayers, "", "expired").flatMap((t) => t.units.map((u) => u.id))).toEqual(["u-3"]);
    expect(filterFleet(taxpayers, "3999", "expired")).toEqual([]);
    const overview: FleetOverview_Serialize = { environment, taxpayers: overviewTaxpayers };
    expect(countStates(overview)).toMatchObject({ issued: 1, "csr-ready": 1, expired: 1, expiring: 0 });
  });
});

describe("OTP list", () => {
  const pending: PendingUnit[] = ["u-1", "u-2", "u-3"].map((id) => ({ id, common_name: id, vat_number: "399999999900003", organization_name: "x" }));

  it("reads one OTP per line, skips blanks and comments, flags what is not six digits", () => {
    const read = parseOtpList("# exported 10:02\n123456\n\n٦٥٤٣٢١\nu-1, 111111\n12345\n");
    expect(read.map((r) => [r.line, r.otp, r.unitId, r.problem])).toEqual([
      [2, "123456", null, null],
      [4, "654321", null, null],
      [5, "111111", "u-1", null],
      [6, "12345", null, "not-six-digits"],
    ]);
  });

  it("assigns bare OTPs in order to the units no line names, and counts the surplus", () => {
    const read = parseOtpList("123456\nu-1,111111\n222222\n333333").filter((r) => !r.problem);
    const { assignments, surplus } = assignOtps(read, pending);
    expect(assignments).toEqual([
      { unitId: "u-2", otp: "123456" },
      { unitId: "u-1", otp: "111111" },
      { unitId: "u-3", otp: "222222" },
    ]);
    expect(surplus).toBe(1);
    expect(failedOnly(assignments, new Set(["u-3"]))).toEqual([{ unitId: "u-3", otp: "222222" }]);
  });
});

describe("the OTPs' hour", () => {
  it("counts down from the generation time and stops at zero", () => {
    const generated = new Date("2026-11-22T10:00:00Z");
    expect(otpCountdown(generated, 60, new Date("2026-11-22T10:15:30Z"))).toEqual({ expired: false, minutes: 44, seconds: 30 });
    expect(otpCountdown(generated, 60, new Date("2026-11-22T11:00:01Z"))).toEqual({ expired: true, minutes: 0, seconds: 0 });
    expect(clock(4, 5)).toBe("04:05");
  });
});

describe("the expiry banner", () => {
  it("takes the banner's tone from the tightest reminder", () => {
    const reminder = (threshold_days: number) => ({
      unit_id: "u",
      common_name: null,
      vat_number: null,
      environment,
      expires_at: "2026-12-01T00:00:00Z",
      days_left: threshold_days,
      threshold_days,
    });
    expect(bannerLevel([])).toBeNull();
    expect(bannerLevel([reminder(30)])).toBe("soon");
    expect(bannerLevel([reminder(30), reminder(7)])).toBe("urgent");
    expect(bannerLevel([reminder(1), reminder(0)])).toBe("expired");
  });
});

describe("CSV findings", () => {
  it("groups findings by line, in line order", () => {
    const finding = (line: number, column: string) => ({ line, column, rule: "r", blocking: true, message: { en: "e", ar: "ع" } });
    const grouped = findingsByLine([finding(4, "serial"), finding(3, "vat_number"), finding(4, "common_name")]);
    expect([...grouped.keys()]).toEqual([3, 4]);
    expect(grouped.get(4)?.map((f) => f.column)).toEqual(["serial", "common_name"]);
  });
});

describe("CSV boxes", () => {
  const header = "organization_name,vat_number";
  const row = "مؤسسة المثال,399999999900003";

  it("marks each field of an Arabic line as its own run, leaves Latin lines alone and gives the text back unchanged", () => {
    const shown = csvForDisplay(`${header}\n${row}\n`);
    expect(shown).toBe(`${header}\nمؤسسة المثال,\u200e399999999900003\n`);
    expect(csvFromDisplay(shown)).toBe(`${header}\n${row}\n`);
    expect(csvForDisplay(shown)).toBe(shown);
  });

  it("keeps the caret after what was typed when the marks are redone", () => {
    // A comma typed at the end of an Arabic line: the caret goes after its mark.
    const typed = `${row},`;
    expect(displayOffset(typed, typed.length)).toBe(csvForDisplay(typed).length);
    // Before the comma, nothing moves.
    expect(displayOffset(typed, 3)).toBe(3);
  });
});
