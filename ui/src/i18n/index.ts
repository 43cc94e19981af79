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
