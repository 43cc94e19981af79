//! `journal`: every request sent to a FATOORA gateway, as recorded (no OTP,
//! no secret: OTPs appear only as their last digit).

use clap::Args;
use fatoora_onboarding::journal;

use crate::{Cli, exit};

#[derive(Debug, Args)]
pub struct JournalArgs {
    /// Only this unit (its id)
    #[arg(long)]
    pub unit: Option<String>,
}

pub fn run(cli: &Cli, args: &JournalArgs) -> anyhow::Result<u8> {
    let (_, session) = super::onboard::session(cli, None)?;
    let entries = journal::entries(session.store.connection(), args.unit.as_deref())?;
    if cli.json {
        println!("{}", serde_json::to_string(&entries)?);
        return Ok(exit::OK);
    }
    if entries.is_empty() {
        println!("no requests recorded yet / لا توجد طلبات مسجّلة بعد");
    } else {
        // Evidence for ZATCA support and hosting providers, who read UTC.
        println!("times in UTC / الأوقات بالتوقيت العالمي المنسق UTC");
    }
    for e in &entries {
        let status = e.http_status.map(|s| s.to_string()).unwrap_or_else(|| "---".into());
        let reach = match e.reach {
            fatoora_onboarding::client::Reach::NotSent => " not sent",
            fatoora_onboarding::client::Reach::MayHaveReached => " MAY HAVE REACHED ZATCA (no answer)",
            fatoora_onboarding::client::Reach::Answered => "",
        };
        let otp = e.otp_last_digit.map(|d| {
            let age = e.otp_age_seconds.map(|s| format!(", {} min old", s / 60)).unwrap_or_default();
            format!(" OTP …{d}{age}")
        });
        println!(
            "{} {} {:<11} {:<7} {} {} {}{} {} ms{}{}",
            e.started_at.format("%Y-%m-%d %H:%M:%S"),
            e.unit_id,
            e.environment,
            e.endpoint.method(),
            e.endpoint.path(),
            status,
            e.zatca_codes.join(","),
            e.request_id.as_ref().map(|r| format!(" requestID {r}")).unwrap_or_default(),
            e.duration_ms,
            otp.unwrap_or_default(),
            reach,
        );
    }
    Ok(exit::OK)
}
