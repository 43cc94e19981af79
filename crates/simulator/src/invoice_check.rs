//! Placeholder replaced in step 5.
use axum::response::Response;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::body::Bytes;
use crate::onboarding::GatewayState;

pub struct InvoiceFacts;
pub struct InvoiceFinding;
pub fn verify_invoice() {}

pub async fn compliance_invoices(State(state): State<GatewayState>, headers: HeaderMap, _body: Bytes) -> Response {
    match crate::onboarding::authenticate(&state.shared, &headers) {
        Err(r) => r,
        Ok(_) => crate::bodies::invalid_request(),
    }
}
