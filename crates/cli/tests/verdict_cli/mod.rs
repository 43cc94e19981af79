//! For the tests that drive the commands with a verdict (`diagnose`,
//! `probe-kit compare`) through the binary: the binary with no proxy from
//! the environment (its probes stay on loopback or in the test's
//! namespaces), the exit codes its help documents, and its HTML reports
//! read back with xmllint.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::Path;
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_fatoora-onboard");

/// What the diagnosis would follow off the machine.
const PROXY_VARIABLES: [&str; 6] = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

/// `command` (the binary, or `ip netns exec … binary`) with no proxy from
/// the environment, then `--data-dir data_dir`.
pub fn scrubbed(mut command: Command, data_dir: &Path) -> Command {
    for variable in PROXY_VARIABLES {
        command.env_remove(variable);
    }
    command.arg("--data-dir").arg(data_dir);
    command
}

/// The binary, as [`scrubbed`].
pub fn fatoora(data_dir: &Path) -> Command {
    scrubbed(Command::new(BIN), data_dir)
}

/// Both output streams, for assertion messages.
pub fn said(output: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The "Exit status:" table at the end of `<subcommand> --help`: each code
/// with what it means.
pub fn documented_exit_codes(subcommand: &[&str]) -> Vec<(i32, String)> {
    let output = Command::new(BIN).args(subcommand).arg("--help").output().expect("the binary runs");
    assert!(output.status.success(), "{}", said(&output));
    let help = String::from_utf8(output.stdout).unwrap();
    let table = help.split("Exit status:\n").nth(1).unwrap_or_else(|| panic!("{subcommand:?} --help documents no exit status:\n{help}"));
    table
        .lines()
        .map_while(|line| {
            let (code, meaning) = line.trim().split_once("  ")?;
            Some((code.parse().ok()?, meaning.to_owned()))
        })
        .collect()
}

/// Asserts the help documents exactly `expected`: each code, and the
/// start of its meaning.
pub fn assert_documents(subcommand: &[&str], expected: &[(i32, &str)]) {
    let documented = documented_exit_codes(subcommand);
    let codes: Vec<i32> = documented.iter().map(|(code, _)| *code).collect();
    assert_eq!(codes, expected.iter().map(|(code, _)| *code).collect::<Vec<_>>(), "{documented:?}");
    for ((_, meaning), (code, start)) in documented.iter().zip(expected) {
        assert!(meaning.starts_with(start), "exit {code} is documented as {meaning:?}");
    }
}

/// HTML5 elements libxml2's HTML 4 parser (2.9) does not know: it says
/// "Tag … invalid" and parses them as generic elements.
#[cfg(target_os = "linux")]
const HTML5_ONLY: [&str; 10] = ["article", "aside", "bdi", "details", "footer", "header", "main", "nav", "section", "summary"];

/// A report file checked with xmllint, software we did not write. Linux-only:
/// the xmllint is Debian's, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
pub struct HtmlReport<'a> {
    path: &'a Path,
}

#[cfg(target_os = "linux")]
impl<'a> HtmlReport<'a> {
    /// Checks that `path` parses as HTML and loads nothing: no script,
    /// stylesheet, image, frame or object, no `src`, no `href` off the page,
    /// no `url(` or `@import` in its styles (so no remote font either).
    /// `None` after a skip where xmllint is missing.
    pub fn self_contained(path: &'a Path) -> Option<Self> {
        let parsed = match Command::new("xmllint").args(["--html", "--noout"]).arg(path).output() {
            Ok(parsed) => parsed,
            Err(_) => {
                fatoora_base::skip::skip("xmllint is not installed (apt-get install libxml2-utils)");
                return None;
            }
        };
        assert!(parsed.status.success(), "xmllint --html: {}", said(&parsed));
        let errors = String::from_utf8_lossy(&parsed.stderr);
        for error in errors.lines().filter(|line| line.contains("parser error")) {
            let known = HTML5_ONLY.iter().any(|tag| error.ends_with(&format!("Tag {tag} invalid")));
            assert!(known, "{}: {error}", path.display());
        }
        let report = HtmlReport { path };
        let loading = "//script | //link | //img | //iframe | //object | //embed | //@src | //@srcset | //@href[not(starts-with(., '#'))]";
        assert_eq!(report.xpath(&format!("count({loading})")), "0", "{} loads something", path.display());
        let styles = "//style[contains(., 'url(') or contains(., '@import')] | //@style[contains(., 'url(')]";
        assert_eq!(report.xpath(&format!("count({styles})")), "0", "{} styles load something", path.display());
        Some(report)
    }

    /// The string value of `expression` over the page.
    pub fn xpath(&self, expression: &str) -> String {
        let output = Command::new("xmllint").args(["--html", "--xpath", expression]).arg(self.path).output().expect("xmllint runs");
        assert!(output.status.success(), "xmllint --xpath {expression}: {}", said(&output));
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    /// The verdict box: its class id (e.g. `healthy`) and whether it is
    /// marked good or bad.
    /// The verdict's id and its box's colour class. The diagnosis report
    /// shows the reader words and keeps the id in `data-verdict`; the
    /// comparison report shows the id itself.
    pub fn verdict(&self) -> (String, String) {
        let tagged = self.xpath("string(//section[contains(@class, 'verdict')]/@data-verdict)");
        let class = if tagged.is_empty() {
            self.xpath("string(//section[contains(@class, 'verdict')]/p[@class = 'class'])")
        } else {
            tagged
        };
        let box_class = self.xpath("string(//section[contains(@class, 'verdict')]/@class)");
        (class, box_class.trim_start_matches("verdict").trim().to_owned())
    }
}
