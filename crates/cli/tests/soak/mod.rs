//! The chaos soak's bench: a data folder with the simulator running
//! in-process (the `local` gateway the CLI finds through its runtime file),
//! units imported from a CSV file, the real `fatoora-onboard` binary run
//! and SIGKILLed at a chosen point, and readers for what the evidence says
//! afterwards (the SQLite store through the sqlite3 CLI, the secrets file).

#![allow(dead_code)] // the batch progress test uses a subset of the lab

pub mod evidence;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use crate::binary::{PASSPHRASE, fatoora_onboard};
use fatoora_base::secrets::Passphrase;
use fatoora_simulator::{RunningSimulator, Simulator, SimulatorConfig};

pub const VAT: &str = "399999999900003";
/// A batch whose every open request is held (a hang fault) makes no
/// request for this long: the user gives up and kills it. Only picks the
/// moment of a kill; any moment is a legal one.
const STALL: Duration = Duration::from_secs(1);
/// How often the kill watch looks at the simulator's count; sleeping in
/// between leaves the two cores to the batch.
const POLL: Duration = Duration::from_millis(5);
/// No run of the batch may take longer.
const RUN_DEADLINE: Duration = Duration::from_secs(300);

/// splitmix64: seeded, replayable, five lines. The CLI's tests have no
/// `rand` dependency, and a kill schedule needs nothing stronger.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform enough in `0..n` for a schedule.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// `name` from the environment, or `default`; a value that does not parse
/// fails the test rather than being ignored.
pub fn env_or<T: FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(text) => text.parse().unwrap_or_else(|_| panic!("{name}={text:?} does not parse")),
        Err(_) => default,
    }
}

/// A unit as imported: its id, common name and key.
#[derive(Debug, Clone)]
pub struct Unit {
    pub id: String,
    pub common_name: String,
    pub key_name: String,
    /// SHA-256 of the public key, as the store recorded it at import.
    pub key_sha256: String,
}

/// Why a run was killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kill {
    /// After the scheduled number of gateway requests.
    Scheduled,
    /// Every open request held, nothing moving.
    Stalled,
}

pub struct Run {
    pub killed: Option<Kill>,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

pub struct Lab {
    tmp: tempfile::TempDir,
    pub simulator: RunningSimulator,
    /// Everything the binary printed, for the secret scan.
    pub printed: Vec<String>,
}

fn passphrase() -> Passphrase {
    Passphrase::new(PASSPHRASE.into())
}

pub use crate::binary::said as text;

/// Reads a child's pipe to the end on its own thread, so a full pipe never
/// blocks the child while the test watches the simulator.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        pipe.read_to_end(&mut bytes).unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

impl Lab {
    pub async fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let simulator = Simulator::start(SimulatorConfig::new(home.join("simulator"))).await.unwrap();
        Self { tmp, simulator, printed: Vec::new() }
    }

    pub fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    /// A file outside the data folder (the OTP list, the CSV).
    pub fn file(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn command(&self, args: &[impl AsRef<str>]) -> Command {
        let mut command = fatoora_onboard(&self.home());
        command.args(args.iter().map(AsRef::as_ref));
        command
    }

    pub fn run(&mut self, args: &[impl AsRef<str>]) -> Output {
        let output = self.command(args).output().unwrap();
        self.printed.push(text(&output));
        output
    }

    /// `count` units from a CSV file through `import-units`, each with its
    /// key in the secrets file and its CSR, oldest first.
    pub fn import_units(&mut self, count: usize) -> Vec<Unit> {
        let mut csv = String::from("organization_name,vat_number,organization_unit,common_name,serial,invoice_types,address,business_category,country\n");
        for n in 0..count {
            csv.push_str(&format!("Soak Trading LTD,{VAT},Branch {n},SOAK-{n:04},1-SOAK|2-V1|3-{n:05},1100,RRRD2929,Retail,SA\n"));
        }
        let file = self.file("units.csv");
        std::fs::write(&file, csv).unwrap();
        let imported = self.run(&["import-units", file.to_str().unwrap(), "--env", "local"]);
        assert!(imported.status.success(), "{}", text(&imported));
        let units: Vec<Unit> = self
            .sql("SELECT u.id, u.common_name, k.key_name, k.public_key_sha256 FROM units u JOIN unit_keys k ON k.unit_id = u.id AND k.environment = 'local' ORDER BY u.common_name")
            .iter()
            .map(|row| Unit { id: row.text("id"), common_name: row.text("common_name"), key_name: row.text("key_name"), key_sha256: row.text("public_key_sha256") })
            .collect();
        assert_eq!(units.len(), count, "{}", text(&imported));
        units
    }

    /// Runs `args`; SIGKILLs the process once the simulator has seen
    /// `kill_after` gateway requests from it, or once it stalls on held
    /// requests. Progress is read from the simulator's chaos count, which
    /// sees every request the batch sends.
    pub fn run_watched(&mut self, args: &[impl AsRef<str>], kill_after: Option<u64>) -> Run {
        let admin = self.simulator.admin();
        let count = || admin.chaos_report().expect("the soak sets a chaos rule first");
        let start = count();
        let mut child = self.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let (stdout, stderr) = (drain(child.stdout.take().unwrap()), drain(child.stderr.take().unwrap()));
        let began = Instant::now();
        let (mut last_requests, mut last_change) = (start.requests, Instant::now());
        let killed = loop {
            if child.try_wait().unwrap().is_some() {
                break None;
            }
            let now = count();
            if kill_after.is_some_and(|after| now.requests - start.requests >= after) {
                break Some(Kill::Scheduled);
            }
            if now.requests != last_requests {
                (last_requests, last_change) = (now.requests, Instant::now());
            } else if now.held > start.held && last_change.elapsed() >= STALL {
                break Some(Kill::Stalled);
            }
            assert!(began.elapsed() < RUN_DEADLINE, "a batch run took over {RUN_DEADLINE:?}");
            std::thread::sleep(POLL);
        };
        if killed.is_some() {
            // SIGKILL on Unix; Ok also when it ended meanwhile.
            child.kill().unwrap();
        }
        let status = child.wait().unwrap();
        let run = Run { killed, status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() };
        self.printed.push(format!("{}{}", run.stdout, run.stderr));
        run
    }

    /// Rows of `query` on the app's store, read by the sqlite3 CLI.
    pub fn sql(&self, query: &str) -> Vec<Row> {
        let output = Command::new("sqlite3").arg("-json").arg(self.database()).arg(query).output().expect("the sqlite3 command runs");
        assert!(output.status.success(), "{}", text(&output));
        if output.stdout.iter().all(u8::is_ascii_whitespace) {
            return Vec::new();
        }
        serde_json::from_slice::<Vec<serde_json::Value>>(&output.stdout).unwrap().into_iter().map(Row).collect()
    }

    pub fn database(&self) -> PathBuf {
        self.home().join("fatoora-onboard.sqlite3")
    }

    /// Every file under the log folder, as text.
    pub fn logs(&self) -> Vec<(PathBuf, String)> {
        let mut files = Vec::new();
        collect_files(&self.home().join("logs"), &mut files);
        files.into_iter().map(|path| {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            (path, text)
        }).collect()
    }
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() { collect_files(&path, files) } else { files.push(path) }
    }
}

/// One row of `sqlite3 -json`.
pub struct Row(serde_json::Value);

impl Row {
    /// The column as text ("" for NULL).
    pub fn text(&self, column: &str) -> String {
        match &self.0[column] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        }
    }
}
