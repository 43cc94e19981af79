import { describe, expect, it } from "vitest";
import { catalogues } from "../i18n";
import { fileDescriptionKey, isolate, passphrasesReady, passphraseStrength } from "./strength";

describe("passphrase strength hint", () => {
  it("says too short under the minimum and counts characters, not bytes", () => {
    expect(passphraseStrength("", 12)).toBe("empty");
    expect(passphraseStrength("short", 12)).toBe("tooShort");
    // Eleven Arabic letters are 22 bytes but still too short.
    expect(passphraseStrength("عبارةمرورقص", 12)).toBe("tooShort");
  });

  it("calls common passwords and patterns weak, whatever their length", () => {
    for (const guessable of ["password1234", "abcdefghijkl", "aaaaaaaaaaaaaaaa", "qwertyuiop123", "123456789012"]) {
      expect(passphraseStrength(guessable, 12), guessable).toBe("weak");
    }
  });

  it("calls unrelated words strong", () => {
    expect(passphraseStrength("violet kettle orbit lantern", 12)).toBe("strong");
    expect(passphraseStrength("Tr0ub4dor&3xyz!a", 12)).not.toBe("weak");
  });

  it("is ready only when both boxes match and are long enough", () => {
    expect(passphrasesReady("correct horse battery", "correct horse battery", 12)).toBe(true);
    expect(passphrasesReady("correct horse battery", "correct horse batter", 12)).toBe(false);
    expect(passphrasesReady("short", "short", 12)).toBe(false);
  });
});

describe("exported file descriptions", () => {
  it("exist in both catalogues for every file the core writes", () => {
    for (const file of ["certificate.pem", "certificate-token.txt", "secret.txt", "private-key.pem", "certificate-and-key.p12", "cert.pem", "ec-secp256k1-priv-key.pem", "manifest.json", "unknown.bin"]) {
      for (const encrypted of [true, false]) {
        const key = fileDescriptionKey(file, encrypted);
        expect(catalogues.en[key]).toBeTruthy();
        expect(catalogues.ar[key]).toBeTruthy();
      }
    }
  });
});

describe("isolate", () => {
  it("wraps text in FSI … PDI", () => {
    expect([...isolate("2031-11-21")].map((c) => c.codePointAt(0))).toEqual([0x2068, ..."2031-11-21".split("").map((c) => c.codePointAt(0)), 0x2069]);
  });
});
