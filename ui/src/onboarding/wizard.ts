// The onboarding wizard's logic, kept out of the component so vitest can
// check it: OTP entry, the one-hour countdown, the pre-flight's next action.

/** ZATCA: an OTP is valid for one hour from when the portal generated it. */
export const OTP_VALIDITY_MS = 60 * 60 * 1000;

const ARABIC_INDIC = /[\u0660-\u0669\u06F0-\u06F9]/g;

/**
 * The OTP as ZATCA takes it: Arabic-Indic digits (both code blocks) made
 * ASCII, whitespace removed, kept as text so a leading zero stays. The Rust
 * pre-flight applies the same rule and is the judge; this only drives the
 * hint while the user types.
 */
export function normalizeOtp(text: string): string {
  return text
    .replace(ARABIC_INDIC, (digit) => String((digit.codePointAt(0)! - 0x0660) % 0x90 % 10))
    .replace(/\s+/g, "");
}

export function isOtpShaped(text: string): boolean {
  return /^[0-9]{6}$/.test(normalizeOtp(text));
}

/**
 * "Minutes ago" as the user types it (Arabic-Indic digits too): a whole
 * number, 0 or more; null for anything else, which the box then refuses.
 */
export function parseMinutesAgo(text: string): number | null {
  const digits = normalizeOtp(text);
  return /^[0-9]{1,4}$/.test(digits) ? Number(digits) : null;
}

/** When the portal generated the OTP, from "minutes ago" as the user says. */
export function generatedAt(minutesAgo: number, now: Date): Date {
  return new Date(now.getTime() - Math.max(0, minutesAgo) * 60_000);
}

/** What is left of the OTP's hour: `m:ss`, or null once it ran out. */
export function countdown(generated: Date, now: Date): { text: string; expired: boolean; minutesLeft: number } {
  const left = generated.getTime() + OTP_VALIDITY_MS - now.getTime();
  if (left <= 0) return { text: "0:00", expired: true, minutesLeft: 0 };
  const seconds = Math.floor(left / 1000);
  const text = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  return { text, expired: false, minutesLeft: Math.floor(seconds / 60) };
}

/**
 * The one next action after the pre-flight stopped a run, from its checks:
 * an OTP already sent or past its hour is done for; otherwise nothing was
 * sent and the same OTP goes again once the blocking point is fixed.
 */
export type BlockedAction = "new-otp" | "diagnostics" | "units" | "answers";
export function actionAfterBlock(checks: { id: string; outcome: string }[]): BlockedAction {
  const failed = (id: string) => checks.some((check) => check.id === id && check.outcome === "failed");
  if (failed("otp-unused") || failed("otp-age")) return "new-otp";
  if (failed("gateway-reachable")) return "diagnostics";
  if (["csr-template", "csr-vat", "csr-lint"].some(failed)) return "units";
  return "answers";
}

/** The portal tile the OTP came from decides the purpose. */
export type Tile = "onboard-new" | "renew-existing";
export function purposeOfTile(tile: Tile): "onboard" | "renew" {
  return tile === "onboard-new" ? "onboard" : "renew";
}

/** Steps of a run, in order, as the progress list shows them. */
export const ONBOARD_STEPS = ["ccsid", "compliance-checks", "pcsid"] as const;
export const RENEW_STEPS = ["renewal", "renewal-checks", "renewal-pcsid"] as const;
