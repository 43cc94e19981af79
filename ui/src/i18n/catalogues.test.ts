import { describe, expect, it } from "vitest";
import {
  applyLanguage,
  catalogues,
  direction,
  countOf,
  placeholders,
  translate,
  type Language,
  type MessageKey,
} from "./index";

const languages = Object.keys(catalogues) as Language[];
// Counted nouns (`count.<noun>.<category>`) have one variant per plural
// category, which differ between languages; every other key is shared.
const countKeys = (language: Language) => Object.keys(catalogues[language]).filter((key) => key.startsWith("count."));
const messageKeys = (language: Language) =>
  (Object.keys(catalogues[language]) as MessageKey[]).filter((key) => !key.startsWith("count.")).sort();

describe("translation catalogues", () => {
  it("covers English and Arabic", () => {
    expect(languages.sort()).toEqual(["ar", "en"]);
  });

  for (const language of languages) {
    it(`${language} has exactly the keys of every other catalogue`, () => {
      const keys = messageKeys(language);
      for (const other of languages) {
        expect(keys, `${language} vs ${other}`).toEqual(messageKeys(other));
      }
    });

    it(`${language} has every counted noun in exactly its CLDR plural categories`, () => {
      const categories = new Intl.PluralRules(language).resolvedOptions().pluralCategories.slice().sort();
      const nouns = new Set(countKeys("en").map((key) => key.split(".")[1]));
      for (const noun of nouns) {
        const present = countKeys(language)
          .filter((key) => key.startsWith(`count.${noun}.`))
          .map((key) => key.split(".")[2])
          .sort();
        expect(present, `${language} count.${noun}`).toEqual(categories);
        // Each variant has {count} or says the number in words («وحدتين»).
        expect(placeholders(catalogues[language][`count.${noun}.other` as MessageKey])).toEqual(["count"]);
      }
    });

    it(`${language} has no empty message`, () => {
      const empty = Object.entries(catalogues[language])
        .filter(([, message]) => message.trim() === "")
        .map(([key]) => key);
      expect(empty).toEqual([]);
    });
  }

  it("every message has the same placeholders in both languages", () => {
    for (const key of messageKeys("en")) {
      expect(placeholders(catalogues.ar[key]), key).toEqual(placeholders(catalogues.en[key]));
    }
  });

  it("Arabic uses ZATCA's vocabulary, not the words the glossary warns about", () => {
    const arabic = Object.values(catalogues.ar).join("\n");
    // GLOSSARY-ar.md section 3: wrong or obsolete names seen in peers' files.
    for (const wrong of ["الهيئة العامة للزكاة والدخل", "الضرائب والجمارك", "على متن الطائرة", "كلمة المرور لمرة واحدة"]) {
      expect(arabic).not.toContain(wrong);
    }
  });

  it("Arabic says onboarding one way: «الربط», never «تهيئة» (docs/front-end.md)", () => {
    const tahyi = Object.entries(catalogues.ar).filter(([, message]) => message.includes("تهيئة"));
    expect(tahyi).toEqual([]);
  });

  it("Arabic says rehearsal one way: «تدريب», never «تجربة» (docs/front-end.md)", () => {
    const tajriba = Object.entries(catalogues.ar).filter(([, message]) => /(^|[\s«(])(ال|لل|ب|و)?تجربة/.test(message));
    expect(tajriba).toEqual([]);
  });
});

describe("translate", () => {
  it("fills placeholders and leaves unknown ones visible", () => {
    expect(translate("en", "problem.unexpected", { error: "boom" })).toContain("app: boom.");
    expect(translate("ar", "problem.unexpected", {})).toContain("{error}");
  });

  it("Arabic is right to left", () => {
    expect(direction("ar")).toBe("rtl");
    expect(direction("en")).toBe("ltr");
  });
});

describe("countOf", () => {
  it("makes Arabic nouns agree with the number, CLDR's way, in Western digits", () => {
    const units = [0, 1, 2, 3, 10, 11, 99, 100, 101, 102].map((n) => countOf("ar", "units", n));
    expect(units).toEqual(["0 وحدة", "وحدة واحدة", "وحدتين", "3 وحدات", "10 وحدات", "11 وحدة", "99 وحدة", "100 وحدة", "101 وحدة", "102 وحدة"]);
    expect(countOf("ar", "characters", 12)).toBe("12 حرفًا");
    expect(countOf("ar", "seconds", 5)).toBe("5 ثوان");
  });

  it("says one and many in English", () => {
    expect(countOf("en", "units", 1)).toBe("1 unit");
    expect(countOf("en", "units", 5)).toBe("5 units");
    expect(countOf("en", "units", 1234)).toBe("1,234 units");
  });
});

describe("applyLanguage", () => {
  it("sets lang and dir on the root element", () => {
    const root = { lang: "en", dir: "ltr" };
    applyLanguage(root, "ar");
    expect(root).toEqual({ lang: "ar", dir: "rtl" });
    applyLanguage(root, "en");
    expect(root).toEqual({ lang: "en", dir: "ltr" });
  });
});
