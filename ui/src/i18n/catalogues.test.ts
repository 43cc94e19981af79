import { describe, expect, it } from "vitest";
import {
  applyLanguage,
  catalogues,
  direction,
  placeholders,
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
    expect(translate("en", "problem.unexpected", { error: "boom" })).toContain("app: boom.");
    expect(translate("ar", "problem.unexpected", {})).toContain("{error}");
  });

  it("Arabic is right to left", () => {
    expect(direction("ar")).toBe("rtl");
    expect(direction("en")).toBe("ltr");
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
