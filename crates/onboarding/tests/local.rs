//! The `local` client as the CLI and the app build it: from the runtime file
//! the simulator writes in the data folder's `simulator/` directory.

use fatoora_base::{DataDir, Environment};
use fatoora_onboarding::client::ClientOptions;
use fatoora_onboarding::local::{LocalError, client_for, simulator_dir};
use fatoora_simulator::{Simulator, SimulatorConfig};

#[tokio::test]
async fn the_local_client_finds_the_simulator_serving_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path());
    let running = Simulator::start(SimulatorConfig::new(simulator_dir(&data_dir))).await.unwrap();

    let (client, gateway) = client_for(&data_dir, Environment::Local, ClientOptions::default()).unwrap();
    let gateway = gateway.expect("local names its gateway");
    assert_eq!(gateway.origin, running.origin());
    assert_eq!(gateway.ca_cert_pem, running.ca_cert_pem());
    assert_eq!(client.base_url(), running.base_url(Environment::Local));
    assert_eq!(client.environment(), Environment::Local);
    for environment in [Environment::Sandbox, Environment::Simulation, Environment::Production] {
        assert_eq!(gateway.base_url(environment), running.base_url(environment), "{environment}");
    }
}

#[test]
fn without_a_running_simulator_local_says_how_to_start_one_and_zatca_needs_none() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path());
    let error = client_for(&data_dir, Environment::Local, ClientOptions::default()).err().expect("no simulator");
    assert!(matches!(error, LocalError::NotRunning(_)), "{error}");
    let message = error.explain();
    assert!(message.en.contains("fatoora-onboard simulator") && message.ar.contains("محاكي"), "{message:?}");

    let (client, gateway) = client_for(&data_dir, Environment::Simulation, ClientOptions::default()).unwrap();
    assert!(gateway.is_none(), "ZATCA's environments never read the simulator's files");
    assert_eq!(client.base_url(), "https://gw-fatoora.zatca.gov.sa/e-invoicing/simulation");
}

#[test]
fn a_damaged_runtime_file_is_named_not_taken_for_a_stopped_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path());
    let folder = simulator_dir(&data_dir);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(fatoora_simulator::RUNTIME_FILE), b"{\"origin\": ").unwrap();
    let error = client_for(&data_dir, Environment::Local, ClientOptions::default()).err().expect("unreadable");
    assert!(matches!(error, LocalError::Unreadable(ref detail) if detail.contains("simulator.json")), "{error}");
}
