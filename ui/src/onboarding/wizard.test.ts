import { describe, expect, it } from "vitest";
import { actionAfterBlock, countdown, generatedAt, isOtpShaped, normalizeOtp, parseMinutesAgo, purposeOfTile } from "./wizard";

describe("OTP entry", () => {
  it("keeps leading zeros and makes Arabic-Indic digits ASCII", () => {
    expect(normalizeOtp("٠١٢٣٤٥")).toBe("012345");
    expect(normalizeOtp("۰۶۷۸۹۱")).toBe("067891");
    expect(normalizeOtp(" 012 345 ")).toBe("012345");
    expect(isOtpShaped("012345")).toBe(true);
  });

  it("refuses what is not six digits", () => {
    for (const text of ["12345", "1234567", "12a456", "", "12-456"]) {
      expect(isOtpShaped(text), text).toBe(false);
    }
  });
});

describe("the OTP's hour", () => {
  const now = new Date("2026-11-22T10:00:00Z");

  it("counts down from when the user says the OTP was generated", () => {
    expect(countdown(generatedAt(0, now), now)).toEqual({ text: "60:00", expired: false, minutesLeft: 60 });
    expect(countdown(generatedAt(15, now), new Date(now.getTime() + 30_500))).toEqual({ text: "44:29", expired: false, minutesLeft: 44 });
  });

  it("says when the hour is over", () => {
    expect(countdown(generatedAt(60, now), now).expired).toBe(true);
    expect(countdown(generatedAt(75, now), now).text).toBe("0:00");
  });
});

it("maps the portal tile to the purpose", () => {
  expect(purposeOfTile("onboard-new")).toBe("onboard");
  expect(purposeOfTile("renew-existing")).toBe("renew");
});

describe("minutes ago", () => {
  it("takes a whole number of minutes, the default 0 included, in either digit system", () => {
    expect(parseMinutesAgo("0")).toBe(0);
    expect(parseMinutesAgo(" 15 ")).toBe(15);
    expect(parseMinutesAgo("١٥")).toBe(15);
  });
  it("refuses what is not a whole number of minutes", () => {
    for (const text of ["", "-5", "1.5", "abc", "5 min"]) expect(parseMinutesAgo(text), text).toBeNull();
  });
});

describe("after a pre-flight block", () => {
  const checks = (failed: Record<string, string>) =>
    ["otp-format", "otp-unused", "otp-age", "otp-portal", "csr-template", "csr-vat", "csr-lint", "gateway-reachable"].map((id) => ({ id, outcome: failed[id] ?? "passed" }));
  it("asks for a new OTP only when this one is done for", () => {
    expect(actionAfterBlock(checks({ "otp-unused": "failed", "gateway-reachable": "failed" }))).toBe("new-otp");
    expect(actionAfterBlock(checks({ "otp-age": "failed" }))).toBe("new-otp");
    expect(actionAfterBlock(checks({ "otp-age": "unanswered" }))).toBe("answers");
  });
  it("otherwise sends the same OTP again once the blocking point is fixed", () => {
    expect(actionAfterBlock(checks({ "gateway-reachable": "failed" }))).toBe("diagnostics");
    expect(actionAfterBlock(checks({ "csr-vat": "failed" }))).toBe("units");
    expect(actionAfterBlock(checks({ "otp-portal": "failed" }))).toBe("answers");
  });
});
