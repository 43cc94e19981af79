//! One simulator per data folder: a second start is refused with the first
//! one's address, and a runtime file left by a killed simulator blocks
//! nothing (the OS lock died with it).

use fatoora_base::Environment;
use fatoora_simulator::{RUNTIME_FILE, RuntimeInfo, Simulator, SimulatorConfig, SimulatorError};

#[tokio::test]
async fn a_second_simulator_on_the_same_folder_is_refused_and_names_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let first = Simulator::start(SimulatorConfig::new(dir.path())).await.unwrap();

    let refused = Simulator::start(SimulatorConfig::new(dir.path())).await.err().expect("a second simulator is refused");
    match &refused {
        SimulatorError::AlreadyRunning { origin, data_dir } => {
            assert_eq!(origin.as_deref(), Some(first.origin()));
            assert_eq!(data_dir, dir.path());
        }
        other => panic!("expected AlreadyRunning, got {other:?}"),
    }
    assert!(refused.to_string().contains(first.origin()), "{refused}");

    // The refusal left the first one's runtime file alone: attaching works.
    let runtime = RuntimeInfo::read(dir.path()).unwrap().expect("the runtime file is there");
    assert_eq!(runtime.origin, first.origin());
    assert_eq!(std::fs::read_to_string(&runtime.ca_cert_path).unwrap(), first.ca_cert_pem());
    assert!(first.base_url(Environment::Local).starts_with(&runtime.origin));

    first.shutdown().await;
    assert!(RuntimeInfo::read(dir.path()).unwrap().is_none());
    let second = Simulator::start(SimulatorConfig::new(dir.path())).await.expect("free again after shutdown");
    assert_eq!(RuntimeInfo::read(dir.path()).unwrap().unwrap().origin, second.origin());
}

#[tokio::test]
async fn simulators_on_different_folders_run_side_by_side() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = Simulator::start(SimulatorConfig::new(a.path())).await.unwrap();
    let second = Simulator::start(SimulatorConfig::new(b.path())).await.unwrap();
    assert_ne!(first.origin(), second.origin());
}

#[tokio::test]
async fn a_runtime_file_left_by_a_killed_simulator_does_not_block_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let stale = RuntimeInfo { origin: "https://127.0.0.1:9".into(), ca_cert_path: dir.path().join("gone.pem"), pid: 1 };
    std::fs::write(dir.path().join(RUNTIME_FILE), serde_json::to_vec(&stale).unwrap()).unwrap();

    let running = Simulator::start(SimulatorConfig::new(dir.path())).await.expect("the stale file is not a lock");
    assert_eq!(RuntimeInfo::read(dir.path()).unwrap().unwrap().origin, running.origin());
}

#[test]
fn a_damaged_runtime_file_is_reported_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(RUNTIME_FILE), b"{not json").unwrap();
    let error = RuntimeInfo::read(dir.path()).unwrap_err();
    assert!(error.to_string().contains(RUNTIME_FILE), "{error}");
}
