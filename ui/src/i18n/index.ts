// One catalogue per language; English is the reference for the key set and
// a test checks that Arabic has exactly the same keys and placeholders.
import type { CommandError, LocalizedText, UiLanguage } from "../bindings";
import ar from "./ar.json";
import en from "./en.json";

/** The languages the Rust side knows (generated), so the two cannot drift. */
export type Language = UiLanguage;
export type MessageKey = keyof typeof en;

export const catalogues: Record<Language, Record<MessageKey, string>> = { en, ar };

export function otherLanguage(language: Language): Language {
  return language === "en" ? "ar" : "en";
}

/**
 * The UI language's text of a bilingual message from Rust (a `Localized`:
 * errors, findings, labels). Only that one is shown: the other language's
 * text would put English into the Arabic screen and Arabic into the English.
 */
export function localized(text: LocalizedText, language: Language): string {
  return text[language];
}

/** What a refused command says, in the UI language. */
export function describeError(error: CommandError, language: Language): string {
  return localized(error.message, language);
}

/**
 * The `Intl` locale for dates and numbers: Gregorian (as certificates have
 * it) and Western digits in both languages, as ZATCA's samples and portal
 * print them (docs/front-end.md, "Arabic"); `ar-SA` alone would give
 * Arabic-Indic digits and the Hijri calendar.
 */
export function intlLocale(language: Language): string {
  return language === "ar" ? "ar-SA-u-ca-gregory-nu-latn" : "en-GB-u-ca-gregory";
}

export function direction(language: Language): "ltr" | "rtl" {
  return language === "ar" ? "rtl" : "ltr";
}

/** The message for `key`, with each `{name}` replaced by `params[name]`. */
export function translate(
  language: Language,
  key: MessageKey,
  params: Record<string, string> = {},
): string {
  return catalogues[language][key].replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    name in params ? params[name] : placeholder,
  );
}

/**
 * The nouns counted in messages: a catalogue has `count.<noun>.<category>`
 * for each CLDR plural category of its language (English: one, other;
 * Arabic: zero, one, two, few, many, other), and a test checks the set.
 */
export type CountNoun = MessageKey extends infer Key ? (Key extends `count.${infer Noun}.other` ? Noun : never) : never;

/**
 * `count` things in words that agree with the number («وحدتين», «5 وحدات»,
 * «11 وحدة»; "1 unit", "2 units"): the platform's CLDR plural rules pick
 * the variant. Arabic variants use the oblique case (after a verb, a
 * preposition or a noun), so messages put the count there.
 */
export function countOf(language: Language, noun: CountNoun, count: number): string {
  const category = new Intl.PluralRules(intlLocale(language)).select(count);
  const variants = catalogues[language] as Record<string, string>;
  const message = variants[`count.${noun}.${category}`] ?? variants[`count.${noun}.other`];
  return message.replace("{count}", new Intl.NumberFormat(intlLocale(language)).format(count));
}

/** The placeholders (`{name}`) a message expects, sorted. */
export function placeholders(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
}

/** Puts `language` on the page: `lang` and `dir` on <html>. */
export function applyLanguage(root: Pick<HTMLElement, "lang" | "dir">, language: Language): void {
  root.lang = language;
  root.dir = direction(language);
}

/** A piece of a message: catalogue text, or a filled-in value. */
export type MessagePart = { text: string; value: boolean };

/**
 * The message for `key` cut at its placeholders, so a view can show each
 * value in its own isolate (`<bdi dir="ltr">`): a serial such as
 * `1-TST|2-TST|3-ed22f1d8` would otherwise be reordered inside Arabic text.
 */
export function translateParts(language: Language, key: MessageKey, params: Record<string, string>): MessagePart[] {
  return catalogues[language][key]
    .split(/(\{\w+\})/)
    .filter((piece) => piece !== "")
    .map((piece) => {
      const name = /^\{(\w+)\}$/.exec(piece)?.[1];
      return name !== undefined && name in params ? { text: params[name], value: true } : { text: piece, value: false };
    });
}
