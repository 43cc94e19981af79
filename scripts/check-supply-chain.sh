#!/usr/bin/env bash
# Supply-chain checks, offline once dependencies are fetched (SECURITY.md,
# "Compromised dependency"):
#  - Rust: `cargo deny --offline check` against deny.toml (advisories from the
#    RustSec snapshot in ../shared/rustsec-advisory-db, licences, bans,
#    sources). Without the snapshot the advisories check is skipped with the
#    reason printed; bans, licences and sources still run.
#  - npm: a lockfile, exact versions in package.json, everything from the npm
#    registry with an integrity hash, and no install script except the ones
#    listed below with the reason they fetch nothing.
# Part of scripts/test.sh; runs alone as ./scripts/check-supply-chain.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf 'supply-chain: %s\n' "$*" >&2; }

# --- Rust ---------------------------------------------------------------

if ! cargo deny --version >/dev/null 2>&1; then
  log "cargo-deny is not installed: run scripts/install-deps.sh"
  exit 1
fi

snapshot=${RUSTSEC_ADVISORY_DB:-../shared/rustsec-advisory-db}
# cargo-deny names its checkout of db-urls' repository this way; with
# --offline it uses whatever git checkout it finds under that name.
db_root=target/supply-chain/advisory-dbs
db=$db_root/advisory-db-3157b0e258782691
checks=(advisories bans licenses sources)

if [ -f "$snapshot/SNAPSHOT.txt" ] && [ -d "$snapshot/crates" ]; then
  # Rebuilt only when the snapshot changes, so repeated runs stay fast.
  if ! cmp -s "$snapshot/SNAPSHOT.txt" "$db/SNAPSHOT.txt" 2>/dev/null; then
    log "advisory database: a git checkout of $snapshot under $db_root"
    rm -rf "$db"
    mkdir -p "$db_root"
    cp -R "$snapshot" "$db"
    git -C "$db" init -q
    git -C "$db" add -A
    git -C "$db" -c user.name=fatoora-onboard -c user.email=supply-chain@invalid \
      -c core.hooksPath=/dev/null -c commit.gpgsign=false commit -q -m "$(head -1 "$db/SNAPSHOT.txt")"
  fi
  log "advisories: $(head -1 "$snapshot/SNAPSHOT.txt")"
else
  log "SKIPPED advisories: no RustSec snapshot at $snapshot (set RUSTSEC_ADVISORY_DB to one); bans, licences and sources are still checked"
  checks=(bans licenses sources)
fi

# A lockfile that lags the manifests means cargo resolves versions nobody
# committed; say so (the check below then covers what cargo resolves now).
if ! cargo metadata --locked --format-version 1 >/dev/null 2>&1; then
  log "WARNING: Cargo.lock is out of date with the Cargo.toml files; commit the lockfile cargo writes"
fi
# cargo-deny reads the metadata of every platform's crates (deny.toml's
# targets); fetching first is what lets it run with --offline.
cargo fetch --quiet
cargo deny --offline check --show-stats "${checks[@]}"

# --- npm ----------------------------------------------------------------

# Packages allowed an install script, each with why it downloads nothing.
# esbuild: its postinstall only checks (and on some systems copies) the
# binary that its locked, integrity-checked @esbuild/<platform> optional
# package already installed; it would fetch that package itself only if npm
# had skipped optional dependencies, which `npm ci` with this lockfile does
# not. esbuild also works with `npm ci --ignore-scripts`.
allowed_install_scripts='esbuild'

ALLOWED_INSTALL_SCRIPTS=$allowed_install_scripts node --input-type=module <<'EOF'
import { readFileSync, existsSync } from "node:fs";

const problems = [];
if (!existsSync("package-lock.json")) {
  console.error("supply-chain: npm: no package-lock.json: run npm install once and commit it");
  process.exit(1);
}
const manifest = JSON.parse(readFileSync("package.json", "utf8"));
const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const allowed = new Set(process.env.ALLOWED_INSTALL_SCRIPTS.split(/\s+/).filter(Boolean));

if (!(lock.lockfileVersion >= 2)) problems.push(`lockfileVersion ${lock.lockfileVersion}: npm 7+ lockfiles only`);

// Exact versions only: a range lets `npm install` pick a release nobody here
// has seen. (npm ci follows the lockfile anyway; this keeps the two in step.)
const exact = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const declared = { ...manifest.dependencies, ...manifest.devDependencies };
for (const [section, entries] of Object.entries({
  dependencies: manifest.dependencies ?? {},
  devDependencies: manifest.devDependencies ?? {},
  optionalDependencies: manifest.optionalDependencies ?? {},
  overrides: manifest.overrides ?? {},
})) {
  for (const [name, version] of Object.entries(entries)) {
    if (typeof version !== "string" || !exact.test(version)) {
      problems.push(`package.json ${section}: ${name} ${JSON.stringify(version)} is not an exact version`);
    }
  }
}

// The lockfile must be the one package.json asks for.
const root = lock.packages?.[""] ?? {};
const locked = { ...root.dependencies, ...root.devDependencies };
for (const [name, version] of Object.entries(declared)) {
  if (locked[name] !== version) problems.push(`package-lock.json is stale: ${name} is ${locked[name]} there, ${version} in package.json`);
  const installed = lock.packages[`node_modules/${name}`];
  if (installed?.version !== version) problems.push(`package-lock.json installs ${name} ${installed?.version}, not ${version}`);
}

let count = 0;
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (path === "" || entry.link) continue;
  count += 1;
  if (entry.resolved && !entry.resolved.startsWith("https://registry.npmjs.org/")) {
    problems.push(`${path} comes from ${entry.resolved}, not the npm registry`);
  }
  if (!entry.integrity?.startsWith("sha512-")) problems.push(`${path} has no sha512 integrity hash`);
  const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
  if (entry.hasInstallScript && !allowed.has(name)) {
    problems.push(`${path} ${entry.version} runs an install script: check what it does, then list it in scripts/check-supply-chain.sh with the reason, or drop the package`);
  }
}

if (problems.length) {
  for (const problem of problems) console.error(`supply-chain: npm: ${problem}`);
  process.exit(1);
}
console.error(`supply-chain: npm: ${count} locked packages, exact versions, all with sha512 integrity; install scripts only from: ${[...allowed].join(", ")}`);
EOF

log "ok"
