import { describe, expect, it } from "vitest";
import {
  applyLanguage,
  catalogues,
  direction,
  placeholders,
  savedLanguage,
  translate,
  type Language,
} from "./index";

const languages = Object.keys(catalogues) as Language[];

describe("translation catalogues", () => {
  it("covers English and Arabic", () => {
    expect(languages.sort()).toEqual(["ar", "en"]);
  });

  for (const language of languages) {
    it(`${language} has exactly the keys of every other catalogue`, () => {
      const keys = Object.keys(catalogues[language]).sort();
      for (const other of languages) {
        expect(keys, `${language} vs ${other}`).toEqual(Object.keys(catalogues[other]).sort());
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
    for (const key of Object.keys(catalogues.en) as (keyof typeof catalogues.en)[]) {
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
});

describe("translate", () => {
  it("fills placeholders and leaves unknown ones visible", () => {
    expect(translate("en", "home.loadError", { error: "boom" })).toContain("details: boom.");
    expect(translate("ar", "home.loadError", {})).toContain("{error}");
  });

  it("Arabic is right to left", () => {
    expect(direction("ar")).toBe("rtl");
    expect(direction("en")).toBe("ltr");
  });
});

describe("applyLanguage / savedLanguage", () => {
  it("sets lang and dir on the root and remembers the choice", () => {
    const saved = new Map<string, string>();
    const storage = {
      getItem: (key: string) => saved.get(key) ?? null,
      setItem: (key: string, value: string) => void saved.set(key, value),
    };
    const root = { lang: "en", dir: "ltr" } as HTMLElement;

    expect(savedLanguage(storage)).toBe("en");
    applyLanguage(root, storage, "ar");
    expect(root.lang).toBe("ar");
    expect(root.dir).toBe("rtl");
    expect(savedLanguage(storage)).toBe("ar");
  });
});
