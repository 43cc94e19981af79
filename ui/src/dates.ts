// Dates as the user reads them, one way on every screen: Gregorian (as
// certificates have it), Riyadh time (Saudi Arabia keeps UTC+3 all year),
// Arabic month names with Western digits in Arabic, as ZATCA's samples and
// portal print them. Support messages and diagnosis evidence keep UTC,
// labelled, for the people they go to.
import { intlLocale, type Language } from "./i18n";

const RIYADH = "Asia/Riyadh";

/** The Riyadh day of an instant: its long form and the ISO date support and logs use. */
export function formatDay(instant: string | Date, language: Language): { long: string; isoDate: string } {
  const date = new Date(instant);
  const long = new Intl.DateTimeFormat(intlLocale(language), { dateStyle: "long", timeZone: RIYADH }).format(date);
  // Built from parts: engines disagree on en-CA's short format (WebKit
  // writes 11/21/2031), never on the parts themselves.
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: RIYADH, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return { long, isoDate: `${part("year")}-${part("month")}-${part("day")}` };
}

/**
 * The last day a certificate valid until `notAfter` can be used. ZATCA's
 * CSIDs end at 21:00 UTC, midnight in Riyadh: the end of that day, not the
 * start of the next, so no screen names a day on which the certificate no
 * longer works. The same rule as the Rust side's `riyadh::last_valid_day`.
 */
export function formatExpiry(notAfter: string, language: Language): { long: string; isoDate: string } {
  return formatDay(new Date(Date.parse(notAfter) - 1000), language);
}
