// WCAG 2.1 AA contrast of the colour pairs the stylesheet uses, computed
// from the colours as written in styles.css, so a changed colour is checked.
// The formula is WCAG's own (relative luminance, then (L1 + 0.05) / (L2 + 0.05)):
// a few lines, not worth a dependency.
import { describe, expect, it } from "vitest";

// Vitest empties CSS imports (even `?raw`), so the file is read from disk. The
// module name is a variable because the UI's type check has no Node types.
const fsModule = "node:fs";
const { readFileSync } = (await import(/* @vite-ignore */ fsModule)) as { readFileSync(path: URL, encoding: "utf8"): string };
const css = readFileSync(new URL("./styles.css", import.meta.url), "utf8");

const root = /:root\s*\{([^}]*)\}/.exec(css)?.[1] ?? "";
const palette: Record<string, string> = {
  white: "#ffffff",
  ...Object.fromEntries([...root.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)].map((m) => [m[1], m[2]])),
};

type Rgb = [number, number, number];

function rgb(name: string): Rgb {
  const hex = palette[name];
  if (!hex) throw new Error(`styles.css has no colour --${name}`);
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
}

/** A colour drawn with `opacity` over `below`, as the browser composites it. */
function over(top: Rgb, opacity: number, below: Rgb): Rgb {
  return top.map((channel, i) => channel * opacity + below[i] * (1 - opacity)) as Rgb;
}

function luminance([r, g, b]: Rgb): number {
  const linear = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

function contrast(a: Rgb, b: Rgb): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

// [what, text colour, background colour]
const TEXT: [string, Rgb, Rgb][] = [
  ["body text on the page", rgb("ink"), rgb("page")],
  ["hints and notes on the page", rgb("muted"), rgb("page")],
  ["title bar and language switch", rgb("white"), rgb("green")],
  ["language switch, hovered", rgb("white"), over(rgb("white"), 0.15, rgb("green"))],
  ["primary button and badges", rgb("white"), rgb("green")],
  ["secondary button", rgb("green"), rgb("white")],
  ["rehearsal banner", rgb("ink"), rgb("green-pale")],
  ["CSR preview labels", rgb("muted"), rgb("green-pale")],
  ["live banner and waiting status", rgb("amber"), rgb("amber-pale")],
  ["hints on the key choice", rgb("muted"), rgb("amber-pale")],
  ["warnings on the page", rgb("amber"), rgb("page")],
  ["warnings on a card", rgb("amber"), rgb("white")],
  ["errors on the page", rgb("red"), rgb("page")],
  ["errors on a card", rgb("red"), rgb("white")],
  ["input text", rgb("ink"), rgb("white")],
];

// WCAG 1.4.11: borders and focus rings need 3:1 against what surrounds them.
const NON_TEXT: [string, Rgb, Rgb][] = [
  ["input border", rgb("line"), rgb("white")],
  ["input border on the page", rgb("line"), rgb("page")],
  ["invalid input border", rgb("red"), rgb("white")],
  ["focus ring on the page", rgb("green"), rgb("page")],
  ["focus ring on the title bar", rgb("white"), rgb("green")],
];

describe("WCAG AA contrast of styles.css", () => {
  it("matches WCAG's reference values", () => {
    expect(contrast([0, 0, 0], [255, 255, 255])).toBeCloseTo(21, 5);
    expect(contrast([119, 119, 119], [255, 255, 255])).toBeCloseTo(4.48, 2);
  });

  it.each(TEXT)("%s: at least 4.5:1", (_what, text, background) => {
    expect(contrast(text, background)).toBeGreaterThanOrEqual(4.5);
  });

  it.each(NON_TEXT)("%s: at least 3:1", (_what, line, background) => {
    expect(contrast(line, background)).toBeGreaterThanOrEqual(3);
  });
});
