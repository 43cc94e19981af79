//! `fatoora-onboard simulator`: run the local FATOORA simulator, or reach a
//! running one (through the same data directory) to mint OTPs and switch
//! faults.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use fatoora_base::Environment;
use fatoora_base::paths::DataDir;
use fatoora_simulator::{AdminClient, Fault, FaultRule, OtpPurpose, RulesCheck, Simulator, SimulatorConfig};

use crate::{Cli, exit};

#[derive(Debug, Args)]
pub struct SimulatorArgs {
    /// Loopback address to listen on; port 0 picks a free port
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,

    /// Leave out ZATCA's XSD and business rules on compliance documents (the
    /// signature, hash, QR and chain are still checked), to measure a client
    /// apart from the gateway's own work
    #[arg(long)]
    pub skip_rules: bool,

    #[command(subcommand)]
    pub action: Option<SimulatorAction>,
}

#[derive(Debug, Subcommand)]
pub enum SimulatorAction {
    /// Mint OTPs in a running simulator, as the Fatoora portal would
    Otp {
        /// local, sandbox, simulation or production (local and production share /core)
        #[arg(long)]
        env: String,
        /// The taxpayer's VAT number the OTP is bound to
        #[arg(long)]
        vat: String,
        #[arg(long, default_value = "onboard", value_parser = parse_purpose)]
        purpose: OtpPurpose,
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
    /// List the CSIDs a running simulator issued
    Csids,
    /// Make the following gateway requests fail: latency, hang, hang-after, reset-before,
    /// reset-after, 429, 500, 503, 504, malformed-json, huge-body, wrong-content-type
    Fault {
        name: String,
        /// Delay for the latency fault
        #[arg(long)]
        millis: Option<u64>,
        /// Only the next N requests (default: until cleared)
        #[arg(long)]
        times: Option<u32>,
    },
    /// Switch faults off
    ClearFault,
    /// Move the simulator's clock forward (OTP expiry without waiting)
    AdvanceClock { seconds: u64 },
    /// Make renewals answer 428 NOT_COMPLIANT (true) or 200 (false)
    RenewalRequiresCompliance {
        #[arg(action = clap::ArgAction::Set)]
        required: bool,
    },
}

fn parse_purpose(s: &str) -> Result<OtpPurpose, String> {
    s.parse()
}

/// The simulator keeps its files in `simulator/` under the app's data folder.
fn simulator_dir(cli: &Cli) -> anyhow::Result<PathBuf> {
    let data_dir = DataDir::resolve(cli.data_dir.as_deref()).map_err(|e| anyhow::anyhow!(e.explain().en))?;
    Ok(data_dir.root().join("simulator"))
}

pub fn run(cli: &Cli, args: &SimulatorArgs) -> anyhow::Result<u8> {
    let dir = simulator_dir(cli)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        match &args.action {
            None => serve(cli, args, dir).await,
            Some(action) => control(cli, action, dir).await,
        }
    })
}

async fn serve(cli: &Cli, args: &SimulatorArgs, dir: PathBuf) -> anyhow::Result<u8> {
    if !args.listen.ip().is_loopback() {
        eprintln!("error: --listen must be a loopback address (127.0.0.1 or ::1), not {}", args.listen);
        return Ok(exit::BAD_INPUT);
    }
    let rules = if args.skip_rules { RulesCheck::Skipped } else { RulesCheck::Zatca };
    let running = Simulator::start(SimulatorConfig::new(&dir).listen(args.listen).rules(rules))
        .await
        .with_context(|| format!("starting the simulator in {}", dir.display()))?;
    let base_url = running.base_url(Environment::Local);
    if cli.json {
        let gateways: serde_json::Map<String, serde_json::Value> = [Environment::Sandbox, Environment::Simulation, Environment::Production]
            .into_iter()
            .map(|env| (env.id().to_owned(), running.base_url(env).into()))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "baseUrl": base_url,
                "caCertPath": running.ca_cert_path(),
                "origin": running.origin(),
                "gateways": gateways,
                "dataDir": dir,
            })
        );
    } else {
        println!("FATOORA simulator at {base_url} (CA certificate: {})", running.ca_cert_path().display());
        if args.skip_rules {
            println!("ZATCA's XSD and business rules are NOT checked (--skip-rules).");
        }
        println!("sandbox: {}", running.base_url(Environment::Sandbox));
        println!("simulation: {}", running.base_url(Environment::Simulation));
        println!("Mint OTPs with: fatoora-onboard --data-dir {} simulator otp --env local --vat <VAT>", dir.parent().unwrap_or(&dir).display());
        println!("Press Ctrl+C to stop.");
    }
    wait_for_stop().await;
    running.shutdown().await;
    Ok(exit::OK)
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn control(cli: &Cli, action: &SimulatorAction, dir: PathBuf) -> anyhow::Result<u8> {
    let client = match AdminClient::from_data_dir(&dir) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(exit::FAILURE);
        }
    };
    let result = match action {
        SimulatorAction::Otp { env, vat, purpose, count } => {
            if env.parse::<fatoora_simulator::Gateway>().is_err() {
                eprintln!("error: unknown environment {env:?}: use local, sandbox, simulation or production");
                return Ok(exit::BAD_INPUT);
            }
            client.mint_otps(env, vat, *purpose, *count).await.map(|minted| {
                if cli.json {
                    println!("{}", serde_json::to_string(&minted).unwrap_or_default());
                } else {
                    for otp in &minted.otps {
                        println!("{otp}");
                    }
                }
            })
        }
        SimulatorAction::Csids => client.csids().await.map(|csids| {
            if cli.json {
                println!("{}", serde_json::Value::Array(csids));
            } else {
                for csid in csids {
                    println!(
                        "{} {} {} VAT {} request {} steps {}",
                        csid["gateway"].as_str().unwrap_or("?"),
                        csid["kind"].as_str().unwrap_or("?"),
                        csid["commonName"].as_str().unwrap_or("?"),
                        csid["vat"].as_str().unwrap_or("?"),
                        csid["requestId"],
                        csid["stepsPassed"]
                    );
                }
            }
        }),
        SimulatorAction::Fault { name, millis, times } => {
            let fault = match Fault::parse_cli(name, *millis) {
                Ok(fault) => fault,
                Err(message) => {
                    eprintln!("error: {message}");
                    return Ok(exit::BAD_INPUT);
                }
            };
            let rule = match times {
                Some(n) => FaultRule::times(fault, *n),
                None => FaultRule::always(fault),
            };
            client.set_fault(&rule).await
        }
        SimulatorAction::ClearFault => client.clear_fault().await,
        SimulatorAction::AdvanceClock { seconds } => client.advance_clock(*seconds).await,
        SimulatorAction::RenewalRequiresCompliance { required } => client.set_renewal_requires_compliance(*required).await,
    };
    match result {
        Ok(()) => Ok(exit::OK),
        Err(fatoora_simulator::AdminClientError::Refused(message)) => {
            eprintln!("error: {message}");
            Ok(exit::BAD_INPUT)
        }
        Err(error) => {
            eprintln!("error: {error}");
            Ok(exit::FAILURE)
        }
    }
}
