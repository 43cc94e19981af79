//! One module per subcommand; `run` only dispatches.

mod info;
pub mod simulator;

use crate::{Cli, Command};

pub fn run(cli: &Cli) -> anyhow::Result<u8> {
    match &cli.command {
        Command::Info => info::run(cli),
        Command::Simulator(args) => simulator::run(cli, args),
    }
}
