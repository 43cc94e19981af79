// A hint, not a rule: the Rust side enforces only the minimum length. The
// estimate is zxcvbn's (dictionaries of common passwords, names and words,
// keyboard patterns, dates, repeats), so "password1234" is weak however long.
import { zxcvbn, zxcvbnOptions } from "@zxcvbn-ts/core";
import { adjacencyGraphs, dictionary } from "@zxcvbn-ts/language-common";

zxcvbnOptions.setOptions({ dictionary, graphs: adjacencyGraphs });

export type Strength = "empty" | "tooShort" | "weak" | "fair" | "strong";

export function passphraseStrength(passphrase: string, minChars: number): Strength {
  const length = [...passphrase].length;
  if (length === 0) return "empty";
  if (length < minChars) return "tooShort";
  // zxcvbn's scores: 3 is "safely unguessable" online, 4 offline too.
  const { score } = zxcvbn(passphrase);
  return score >= 4 ? "strong" : score === 3 ? "fair" : "weak";
}

/** Whether the two boxes may be submitted: long enough and the same. */
export function passphrasesReady(passphrase: string, repeated: string, minChars: number): boolean {
  return [...passphrase].length >= minChars && passphrase === repeated;
}

/** The i18n key describing an exported file, by its name. */
export function fileDescriptionKey(file: string, keyEncrypted: boolean) {
  if (file === "private-key.pem") return keyEncrypted ? "custody.file.privateKeyEncrypted" : "custody.file.privateKeyPlain";
  return FILE_KEYS[file] ?? "custody.file.other";
}

const FILE_KEYS: Record<string, FileKey> = {
  "certificate.pem": "custody.file.certificate",
  "certificate-token.txt": "custody.file.token",
  "secret.txt": "custody.file.secret",
  "certificate-and-key.p12": "custody.file.pkcs12",
  "cert.pem": "custody.file.sdkCertificate",
  "ec-secp256k1-priv-key.pem": "custody.file.sdkKey",
  "manifest.json": "custody.file.manifest",
};

type FileKey =
  | "custody.file.certificate"
  | "custody.file.token"
  | "custody.file.secret"
  | "custody.file.privateKeyEncrypted"
  | "custody.file.privateKeyPlain"
  | "custody.file.pkcs12"
  | "custody.file.sdkCertificate"
  | "custody.file.sdkKey"
  | "custody.file.manifest"
  | "custody.file.other";

/** `text` as a Unicode first-strong isolate (FSI … PDI), for plain-text
 * places such as an <option> where no <bdi> fits: a name or an ISO date
 * stays whole inside Arabic text. */
export function isolate(text: string): string {
  return String.fromCodePoint(0x2068) + text + String.fromCodePoint(0x2069);
}
