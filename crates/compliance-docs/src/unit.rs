//! A unit prepared by the CSR step, as the source of the seller data and,
//! for signing, of the key kept in the secret store.

use fatoora_base::{SecretStore, Store};
use fatoora_csr::UnitProfile;
use fatoora_units::{find_unit, load_key};
use k256::ecdsa::SigningKey;

use crate::error::{DocsError, Result};

/// The unit's profile and, when `secrets` is given, its key for the
/// environment of its latest CSR.
pub fn unit_for_documents(store: &Store, secrets: Option<&dyn SecretStore>, reference: &str) -> Result<(UnitProfile, Option<SigningKey>)> {
    let unit = find_unit(store, reference).map_err(|error| DocsError::Unit(error.explain()))?;
    let key = match secrets {
        None => None,
        Some(secrets) => {
            let unit_key = load_key(secrets, &unit.id, unit.profile.environment).map_err(|error| DocsError::Unit(error.explain()))?;
            Some(unit_key.signing_key().clone())
        }
    };
    Ok((unit.profile, key))
}
