// The Fleet screen's logic, kept out of the components so it is tested
// without a webview: search and state filter, dates for each language, the
// pasted OTP list and its assignment to units, the OTP hour's countdown,
// CSV findings by row.
import type {
  CsvFinding_Serialize as CsvFinding,
  ExpiryReminder_Serialize as ExpiryReminder,
  FleetOverview_Serialize as FleetOverview,
  PendingUnit,
  TaxpayerView_Serialize as TaxpayerView,
} from "../bindings";
import { intlLocale, type Language } from "../i18n";

/** fatoora-batch's UNITS_CSV cap (8 MiB): checked before the file is read, so a wrong pick never crosses the IPC whole. */
export const UNITS_CSV_MAX_BYTES = 8 * 1024 * 1024;

export const STATES = [
  "csr-ready",
  "waiting-for-otp",
  "compliance-checks",
  "compliance-passed",
  "issued",
  "expiring",
  "expired",
] as const;
export type CredentialState = (typeof STATES)[number];

/** States whose CSID can be renewed from the overview. */
export const RENEWABLE: ReadonlySet<string> = new Set(["issued", "expiring", "expired"]);

/** Arabic-Indic digits → ASCII, so a VAT number typed either way matches. */
export function asciiDigits(text: string): string {
  return text.replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660)).replace(/[\u06f0-\u06f9]/g, (d) => String(d.charCodeAt(0) - 0x06f0));
}

// Marks Arabic writers add or leave out at will: harakat, tanween, shadda,
// sukun, hamza and madda above or below (as NFD splits them off أ إ آ ؤ ئ),
// the dagger alef, Quranic marks, and the tatweel that stretches a word.
const ARABIC_MARKS = /[\u064b-\u065f\u0670\u06d6-\u06ed\u0640]/g;

/**
 * Text as search compares it: digits ASCII, lower case, and Arabic spelled
 * one way: the alef forms (أ إ آ ٱ) as ا, ta marbuta (ة) as ه, alef maqsura
 * (ى) as ي, without diacritics or tatweel. "مؤسسة الأمل" then finds
 * "مؤسسه الامل" and the other way round.
 */
export function searchForm(text: string): string {
  return asciiDigits(text)
    .normalize("NFD")
    .replace(ARABIC_MARKS, "")
    .replace(/\u0671/g, "\u0627")
    .replace(/\u0629/g, "\u0647")
    .replace(/\u0649/g, "\u064a")
    .normalize("NFC")
    .toLocaleLowerCase()
    .trim();
}

/**
 * A taxpayer (one VAT number) with every organisation name its units were
 * saved under, the overview's own first: more than one is a mismatch the
 * screen shows.
 */
export type NamedTaxpayer = TaxpayerView & { names: string[] };

export function withNames(taxpayers: TaxpayerView[]): NamedTaxpayer[] {
  return taxpayers.map((taxpayer) => ({
    ...taxpayer,
    names: [...new Set([taxpayer.organization_name, ...taxpayer.units.map((unit) => unit.organization_name)])],
  }));
}

/**
 * The taxpayers and units that match `query` (VAT number, organisation
 * name, unit name, serial or unit id) and have a credential in `state` (""
 * for any). A taxpayer whose VAT number matches keeps all its units.
 */
export function filterFleet(taxpayers: NamedTaxpayer[], query: string, state: string): NamedTaxpayer[] {
  const q = searchForm(query);
  const result: NamedTaxpayer[] = [];
  for (const taxpayer of taxpayers) {
    const taxpayerMatches = q === "" || searchForm(taxpayer.vat_number).includes(q);
    const units = taxpayer.units.filter((unit) => {
      const fields = [unit.organization_name, unit.common_name, unit.serial, unit.id, unit.organization_unit];
      const textMatches = taxpayerMatches || fields.some((value) => searchForm(value).includes(q));
      const stateMatches = state === "" || unit.credentials.some((credential) => credential.state === state);
      return textMatches && stateMatches;
    });
    if (units.length > 0) result.push({ ...taxpayer, units });
  }
  return result;
}

/** How many credentials are in each state (for the filter's labels). */
export function countStates(overview: FleetOverview): Record<CredentialState, number> {
  const counts = Object.fromEntries(STATES.map((state) => [state, 0])) as Record<CredentialState, number>;
  for (const taxpayer of overview.taxpayers) {
    for (const unit of taxpayer.units) {
      for (const credential of unit.credentials) {
        if (credential.state in counts) counts[credential.state as CredentialState] += 1;
      }
    }
  }
  return counts;
}


/** An environment's name without its explanation in brackets: "Local rehearsal". */
export function shortLabel(label: string): string {
  return label.split(" (")[0];
}

/** A count for people (days left, progress), with the app's digits. */
export function formatNumber(value: number, language: Language): string {
  return new Intl.NumberFormat(intlLocale(language)).format(value);
}

/** The tightest threshold among the reminders: what the banner's tone follows. */
export function bannerLevel(reminders: ExpiryReminder[]): "expired" | "urgent" | "soon" | null {
  if (reminders.length === 0) return null;
  const tightest = Math.min(...reminders.map((r) => r.threshold_days));
  if (tightest === 0) return "expired";
  return tightest <= 7 ? "urgent" : "soon";
}

/** One pasted OTP line: the six digits, or why the line is not one. */
export type PastedOtp = { line: number; otp: string; unitId: string | null; problem: "not-six-digits" | null };

/**
 * Reads the list the portal exported: one OTP per line, or `UNIT,OTP`;
 * blank lines and `#` comments are skipped. Arabic-Indic digits are read as
 * ASCII. The Rust side checks again; this only shows the user what it read.
 */
export function parseOtpList(text: string): PastedOtp[] {
  const result: PastedOtp[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = asciiDigits(raw).trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const parts = trimmed.split(/[,;\t]/);
    const [unitId, otp] = parts.length > 1 ? [parts[0].trim(), parts.slice(1).join("").trim()] : [null, trimmed];
    result.push({ line: index + 1, otp, unitId, problem: /^\d{6}$/.test(otp) ? null : "not-six-digits" });
  });
  return result;
}

export type Assignment = { unitId: string; otp: string };

/**
 * Assigns the pasted OTPs: a line naming a unit goes to it, the others go in
 * order to the pending units no line names. OTPs beyond the units are left
 * out (and reported by `surplus`).
 */
export function assignOtps(pasted: PastedOtp[], pending: PendingUnit[]): { assignments: Assignment[]; surplus: number } {
  const named = new Set(pasted.map((p) => p.unitId).filter((id): id is string => id !== null));
  const free = pending.map((unit) => unit.id).filter((id) => !named.has(id));
  const assignments: Assignment[] = [];
  let surplus = 0;
  for (const line of pasted) {
    const unitId = line.unitId ?? free.shift();
    if (unitId === undefined) surplus += 1;
    else assignments.push({ unitId, otp: line.otp });
  }
  return { assignments, surplus };
}

/** Only the assignments of the units that failed: "Retry failed only". */
export function failedOnly(assignments: Assignment[], failed: ReadonlySet<string>): Assignment[] {
  return assignments.filter((assignment) => failed.has(assignment.unitId));
}

/** What is left of the OTPs' hour at `now`: minutes and seconds, never negative. */
export function otpCountdown(generatedAt: Date, lifetimeMinutes: number, now: Date): { expired: boolean; minutes: number; seconds: number } {
  const left = Math.max(0, generatedAt.getTime() + lifetimeMinutes * 60_000 - now.getTime());
  const total = Math.floor(left / 1000);
  return { expired: left === 0, minutes: Math.floor(total / 60), seconds: total % 60 };
}

/** mm:ss, always in ASCII digits inside an LTR <bdi>, like a clock. */
export function clock(minutes: number, seconds: number): string {
  return `${String(minutes).padStart(2, "0")}:${String(seconds).padStart(2, "0")}`;
}

/** CSV findings by file line, lines in order. */
export function findingsByLine(findings: CsvFinding[]): Map<number, CsvFinding[]> {
  const byLine = new Map<number, CsvFinding[]>();
  for (const finding of [...findings].sort((a, b) => a.line - b.line)) {
    byLine.set(finding.line, [...(byLine.get(finding.line) ?? []), finding]);
  }
  return byLine;
}

const LRM = "\u200e";
const RTL_LETTER = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]/;

/**
 * A CSV text as the import boxes show it. A box is left to right (the
 * header is Latin) and cannot isolate fields with markup, so in a line with
 * Arabic letters each comma gets a left-to-right mark after it: every field
 * is then its own directional run, and an Arabic field can no longer pull
 * the comma, the VAT number and the next Arabic field into one right-to-left
 * run that shows those columns reversed. Latin-only lines are left alone.
 */
export function csvForDisplay(text: string): string {
  return csvFromDisplay(text)
    .split("\n")
    .map((line) => (RTL_LETTER.test(line) ? line.replaceAll(",", `,${LRM}`) : line))
    .join("\n");
}

/** The CSV text without the display marks: what is checked and imported. */
export function csvFromDisplay(shown: string): string {
  return shown.replaceAll(LRM, "");
}

/** Where a caret at `offset` in `shown` falls once the marks are redone (after a comma's mark). */
export function displayOffset(shown: string, offset: number): number {
  const wanted = csvFromDisplay(shown.slice(0, offset)).length;
  const display = csvForDisplay(shown);
  let index = 0;
  for (let seen = 0; seen < wanted; index++) if (display[index] !== LRM) seen++;
  while (display[index] === LRM) index++;
  return index;
}
