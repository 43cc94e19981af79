//! What the gateway handlers share: their state and Basic auth with a CSID.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::gateway::Gateway;
use crate::store::IssuedCsid;
use crate::{Shared, bodies};

/// What every gateway handler is given: the simulator and which path it serves.
#[derive(Clone)]
pub struct GatewayState {
    pub shared: Arc<Shared>,
    pub gateway: Gateway,
}

/// The CSID named by Basic auth, or the 401 body. The username is the
/// `binarySecurityToken` exactly as issued (SPEC.md 1.2).
#[allow(clippy::result_large_err)] // the refusal is the gateway's answer itself
pub fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<IssuedCsid, Response> {
    let unauthorized = || bodies::unauthorized(shared.clock.now_ms());
    let value = headers.get("authorization").and_then(|v| v.to_str().ok()).ok_or_else(unauthorized)?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(unauthorized)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(unauthorized());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| unauthorized())?;
    let decoded = String::from_utf8(decoded).map_err(|_| unauthorized())?;
    let (token, secret) = decoded.split_once(':').ok_or_else(unauthorized)?;
    let csid = shared.store.find_csid_by_token(token).map_err(bodies::internal)?.ok_or_else(unauthorized)?;
    if !csid.secret_matches(secret) {
        return Err(unauthorized());
    }
    Ok(csid)
}
