//! `renew`: renew a unit's production CSID with a renewal OTP (a new key and
//! CSR; on 428 the compliance checks run again), or resume a renewal.

pub use super::onboard::OnboardArgs as RenewArgs;

use crate::Cli;

pub fn run(cli: &Cli, args: &RenewArgs) -> anyhow::Result<u8> {
    super::onboard::run(cli, args, true)
}
