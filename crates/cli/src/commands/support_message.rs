//! `support-message`: a copy-ready email to ZATCA support, in English and
//! Arabic, with the facts from the journal and the CSR. Nothing secret.

use clap::Args;
use fatoora_base::Environment;
use fatoora_onboarding::support::support_message;

use crate::{Cli, exit};

#[derive(Debug, Args)]
pub struct SupportMessageArgs {
    /// Unit id (u-…) or its common name
    #[arg(long)]
    pub unit: String,
    /// local, sandbox, simulation or production [default: the saved environment]
    #[arg(long)]
    pub env: Option<Environment>,
}

pub fn run(cli: &Cli, args: &SupportMessageArgs) -> anyhow::Result<u8> {
    let (_, session) = super::onboard::session(cli, args.env)?;
    let unit_id = match fatoora_units::find_unit(&session.store, &args.unit) {
        Ok(unit) => unit.id,
        // A unit only the journal knows (e.g. removed since) is still reported.
        Err(_) => args.unit.clone(),
    };
    let diagnostics = fatoora_onboarding::probe::latest(&session.store);
    let message = support_message(session.store.connection(), &unit_id, session.environment, diagnostics)?;
    if cli.json {
        println!("{}", serde_json::to_string(&message)?);
    } else {
        println!("Subject: {}\n\n{}\n\n----------------------------------------\n\nالموضوع: {}\n\n{}", message.subject.en, message.body.en, message.subject.ar, message.body.ar);
    }
    Ok(exit::OK)
}
