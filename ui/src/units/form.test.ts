import { describe, expect, it } from "vitest";
import type { FormFinding } from "../bindings";
import { emptyForm, findingsByField, hasBlocking, LatestOnly, messagesId, westernDigits } from "./form";

const finding = (field: string, blocking = true): FormFinding => ({
  field,
  rule: `${field}-rule`,
  blocking,
  message: { en: `bad ${field}`, ar: `خطأ ${field}` },
});

describe("findingsByField", () => {
  it("puts each finding under its input and the rest under the form", () => {
    const form = { ...emptyForm(), vatNumber: "300", serial: "x" };
    const grouped = findingsByField([finding("vatNumber"), finding("serial"), finding("form")], form, false);
    expect(grouped.vatNumber.map((f) => f.rule)).toEqual(["vatNumber-rule"]);
    expect(grouped.serial).toHaveLength(1);
    expect(grouped.form).toHaveLength(1);
  });

  it("keeps untouched empty inputs quiet until the user tries to save", () => {
    const grouped = findingsByField([finding("commonName")], emptyForm(), false);
    expect(grouped.commonName).toEqual([]);
    expect(findingsByField([finding("commonName")], emptyForm(), true).commonName).toHaveLength(1);
  });
});

describe("hasBlocking", () => {
  it("is false when only warnings remain", () => {
    expect(hasBlocking([finding("invoiceTypes", false)])).toBe(false);
    expect(hasBlocking([finding("invoiceTypes", false), finding("vatNumber")])).toBe(true);
  });
});

describe("LatestOnly", () => {
  it("accepts only the latest ticket", () => {
    const latest = new LatestOnly();
    const first = latest.next();
    const second = latest.next();
    expect(latest.isLatest(first)).toBe(false);
    expect(latest.isLatest(second)).toBe(true);
  });
});

it("message ids are unique per field", () => {
  expect(messagesId("vatNumber")).not.toBe(messagesId("serial"));
});

describe("Arabic-Indic digits", () => {
  it("shows the value the CSR gets, and nothing for a value without them", () => {
    expect(westernDigits(" ١-TST|٢-TST|3-٤٥۶ ")).toBe("1-TST|2-TST|3-456");
    expect(westernDigits("٣٩٩٩٩٩٩٩٩٩٠٠٠٠٣")).toBe("399999999900003");
    expect(westernDigits("1-TST|2-TST|3-x")).toBeNull();
  });
});
