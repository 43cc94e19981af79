// The Units screen's logic, kept out of the component so it can be tested
// without a webview: which findings go under which input, and which answer
// of the live check is the latest.
import type { FormFinding, UnitForm } from "../bindings";

export const FORM_FIELDS = [
  "organizationName",
  "vatNumber",
  "organizationUnit",
  "commonName",
  "serial",
  "invoiceTypes",
  "address",
  "businessCategory",
] as const satisfies readonly (keyof UnitForm)[];

export type FormField = (typeof FORM_FIELDS)[number];

/** Identifiers typed in Latin digits and letters: always left to right. */
export const LTR_FIELDS: ReadonlySet<FormField> = new Set(["vatNumber", "serial", "invoiceTypes", "commonName", "address"]);

export function emptyForm(): UnitForm {
  return Object.fromEntries(FORM_FIELDS.map((field) => [field, ""])) as UnitForm;
}

/** The id of the element that holds a field's messages (for aria-describedby). */
export function messagesId(field: FormField): string {
  return `unit-${field}-messages`;
}

/**
 * Findings grouped by input. Untouched empty inputs stay quiet while the
 * user has not tried to save: "required" under every box of a new form
 * helps nobody. Findings not tied to an input go under `form`.
 */
export function findingsByField(
  findings: FormFinding[],
  form: UnitForm,
  showAll: boolean,
): Record<FormField | "form", FormFinding[]> {
  const grouped = Object.fromEntries([...FORM_FIELDS, "form"].map((key) => [key, [] as FormFinding[]])) as Record<
    FormField | "form",
    FormFinding[]
  >;
  for (const finding of findings) {
    const field = (FORM_FIELDS as readonly string[]).includes(finding.field) ? (finding.field as FormField) : "form";
    if (field !== "form" && !showAll && form[field].trim() === "") continue;
    grouped[field].push(finding);
  }
  return grouped;
}

export function hasBlocking(findings: FormFinding[]): boolean {
  return findings.some((finding) => finding.blocking);
}

/**
 * Answers to the live check can arrive out of order; only the answer to the
 * latest request is shown.
 */
export class LatestOnly {
  #issued = 0;
  next(): number {
    return ++this.#issued;
  }
  isLatest(ticket: number): boolean {
    return ticket === this.#issued;
  }
}

/**
 * What the CSR will hold for a number typed with Arabic-Indic (U+0660..) or
 * Eastern Arabic-Indic (U+06F0..) digits: the same digits in ASCII, as the
 * core writes them (`fatoora_base::values::ascii_digits`). `null` when the
 * typed value has none, so the form says nothing; otherwise it shows this
 * value: never a silent fix.
 */
export function westernDigits(typed: string): string | null {
  const value = typed.trim();
  const western = value.replace(/[\u0660-\u0669\u06F0-\u06F9]/g, (digit) => String(digit.codePointAt(0)! - (digit >= "\u06F0" ? 0x06f0 : 0x0660)));
  return western === value ? null : western;
}

/** The fields whose Arabic-Indic digits are written as ASCII digits. */
export const DIGIT_FIELDS: ReadonlySet<FormField> = new Set(["vatNumber", "serial"]);
