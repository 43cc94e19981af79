import { describe, expect, it } from "vitest";
import { formatDay, formatExpiry } from "./dates";

describe("dates", () => {
  it("are Gregorian with Western digits in Arabic, in Riyadh time", () => {
    // 22:30 UTC on the 21st is already the 22nd in Riyadh.
    const { long, isoDate } = formatDay("2031-11-21T22:30:00Z", "ar");
    expect(isoDate).toBe("2031-11-22");
    expect(long).toContain("نوفمبر");
    expect(long).toContain("2031");
    expect(long).not.toMatch(/[\u0660-\u0669]/);
    expect(formatDay("2031-11-21T22:30:00Z", "en").long).toBe("22 November 2031");
  });

  it("give a certificate's last usable day as its expiry", () => {
    // ZATCA's notAfter: 21:00 UTC, the midnight that ends the 21st in Riyadh.
    expect(formatExpiry("2031-11-21T21:00:00Z", "en")).toEqual({ long: "21 November 2031", isoDate: "2031-11-21" });
    expect(formatExpiry("2031-11-21T21:00:00.000Z", "ar").isoDate).toBe("2031-11-21");
    // Any other time of day: the Riyadh day it falls in.
    expect(formatExpiry("2031-11-21T18:56:33Z", "en").isoDate).toBe("2031-11-21");
    expect(formatExpiry("2031-11-21T21:00:01Z", "en").isoDate).toBe("2031-11-22");
    expect(formatExpiry("2026-12-01T00:00:00Z", "en").long).toBe("1 December 2026");
  });
});
