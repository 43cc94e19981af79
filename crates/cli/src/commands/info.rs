use fatoora_core::Environment;

use crate::{exit, Cli};

pub fn run(cli: &Cli) -> anyhow::Result<u8> {
    let environment = Environment::default();
    let version = env!("CARGO_PKG_VERSION");
    if cli.json {
        println!(
            "{}",
            serde_json::json!({ "version": version, "environment": environment, "dataDir": cli.data_dir })
        );
    } else {
        println!("fatoora-onboard {version}");
        println!("environment: {} ({})", environment, environment.label().en);
    }
    Ok(exit::OK)
}
