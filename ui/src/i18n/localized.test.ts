import { describe, expect, it } from "vitest";
import type { CommandError } from "../bindings";
import { describeError, localized } from ".";

const refusal: CommandError = {
  message: { en: "The VAT number must have 15 digits.", ar: "يجب أن يتكون الرقم الضريبي من 15 رقمًا." },
};

describe("a bilingual message from Rust", () => {
  it("is shown in the UI language only", () => {
    expect(localized(refusal.message, "ar")).toBe(refusal.message.ar);
    expect(describeError(refusal, "ar")).not.toMatch(/[A-Za-z]/);
    expect(describeError(refusal, "en")).toBe(refusal.message.en);
  });
});
