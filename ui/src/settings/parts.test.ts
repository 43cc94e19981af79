import { describe, expect, it } from "vitest";
import { translateParts } from "../i18n";

describe("messages cut at their values, for left-to-right isolates", () => {
  it("keeps the serial example whole and apart from the Arabic sentence", () => {
    const serial = "1-TST|2-TST|3-ed22f1d8";
    for (const language of ["en", "ar"] as const) {
      const parts = translateParts(language, "units.hint.serial", { example: serial });
      expect(parts.filter((part) => part.value)).toEqual([{ text: serial, value: true }]);
      // No Latin serial inside the sentence itself, where bidi would reorder it.
      expect(parts.filter((part) => !part.value).map((part) => part.text).join("")).not.toMatch(/TST/);
    }
  });

  it("shows the sandbox's fixed OTPs as values in both languages", () => {
    const otps = { onboardOtp: "123345", renewOtp: "123456" };
    for (const language of ["en", "ar"] as const) {
      const values = translateParts(language, "settings.warning.sandbox", otps).filter((part) => part.value);
      expect(values.map((part) => part.text)).toEqual(["123345", "123456"]);
    }
  });

  it("leaves a placeholder without a value as text", () => {
    const parts = translateParts("en", "settings.confirm.title", {});
    expect(parts.every((part) => !part.value)).toBe(true);
    expect(parts.map((part) => part.text).join("")).toBe("Switch to {environment}?");
  });
});
