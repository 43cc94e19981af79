//! One module per subcommand; `run` only dispatches.

mod info;

use crate::{Cli, Command};

pub fn run(cli: &Cli) -> anyhow::Result<u8> {
    match &cli.command {
        Command::Info => info::run(cli),
    }
}
