//! The HTTPS listener. A hand-rolled accept loop (rather than `axum::serve`)
//! because two faults need control of the connection itself: dropping it
//! before or after the request is processed, without any response.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::faults::{Fault, HUGE_BODY_BYTES};
use crate::auth::GatewayState;
use crate::gateway::Gateway;
use crate::{Shared, SimulatorError, admin, bodies, compliance_invoices, onboarding, pki};

/// Largest request body read. Real CSRs are about 1 KB and invoices tens of
/// KB; a bigger body gets 413 from the body limit (SPEC.md 1.4 lists 413).
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Marks a response that must not be sent: the connection is dropped instead.
#[derive(Clone, Copy)]
struct DropConnection;

#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault")
    }
}

impl std::error::Error for ConnectionDropped {}

pub fn tls_config(identity: &pki::HttpsIdentity) -> Result<TlsAcceptor, SimulatorError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(identity.server_key_der.clone().into());
    let chain = vec![rustls::pki_types::CertificateDer::from(identity.server_cert_der.clone())];
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimulatorError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| SimulatorError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

pub fn router(shared: Arc<Shared>) -> Router {
    let mut gateways = Router::new();
    for gateway in Gateway::ALL {
        gateways = gateways.nest(
            &format!("/e-invoicing/{}", gateway.path_segment()),
            gateway_routes(shared.clone(), gateway),
        );
    }
    gateways
        .layer(middleware::from_fn(require_accept_version))
        .layer(middleware::from_fn_with_state(shared.clone(), apply_fault))
        .merge(admin::routes(shared))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_BYTES))
}

/// The endpoints of one gateway path (SPEC.md 1.2–1.8).
fn gateway_routes(shared: Arc<Shared>, gateway: Gateway) -> Router {
    Router::new()
        .route("/compliance", post(onboarding::compliance))
        .route("/compliance/invoices", post(compliance_invoices::compliance_invoices))
        .route("/production/csids", post(onboarding::production_csids).patch(onboarding::renew_production_csid))
        .with_state(GatewayState { shared, gateway })
}

pub async fn serve(listener: TcpListener, tls: TlsAcceptor, router: Router, mut shutdown: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, _peer)) = accepted else { continue };
        let tls = tls.clone();
        let router = router.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let connection = async {
                let Ok(Ok(stream)) = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, tls.accept(stream)).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let router = router.clone();
                    async move {
                        let response = router.oneshot(request.map(Body::new)).await.unwrap_or_else(|e: Infallible| match e {});
                        if response.extensions().get::<DropConnection>().is_some() {
                            Err(ConnectionDropped)
                        } else {
                            Ok(response)
                        }
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            };
            tokio::select! {
                () = connection => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}

/// SPEC.md 1.2: anything but V2 is 406. A lower-case `v2` was seen to pass
/// (forum topic 8636, [V-obs]), so the comparison ignores case.
async fn require_accept_version(request: Request, next: Next) -> Response {
    if !accepts_v2(request.headers()) {
        return bodies::unsupported_version();
    }
    next.run(request).await
}

fn accepts_v2(headers: &HeaderMap) -> bool {
    headers
        .get("accept-version")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("V2"))
}

fn take_fault(shared: &Shared, method: &str, path: &str) -> Option<Fault> {
    let mut slot = shared.fault.lock().unwrap_or_else(|p| p.into_inner());
    let rule = slot.as_mut()?;
    if let Some(only) = rule.only.as_mut() {
        if !only.matches(method, path) {
            return None;
        }
        if only.skip > 0 {
            only.skip -= 1;
            return None;
        }
    }
    let fault = rule.fault.clone();
    match rule.times.as_mut() {
        Some(0) => {
            *slot = None;
            return None;
        }
        Some(n) => {
            *n -= 1;
            if *n == 0 {
                *slot = None;
            }
        }
        None => {}
    }
    Some(fault)
}

fn dropped() -> Response {
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(DropConnection);
    response
}

async fn apply_fault(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    shared.seen.record(&request);
    admin::record_otp_presentation(&shared, &request);
    let fault = take_fault(&shared, request.method().as_str(), request.uri().path())
        .or_else(|| shared.chaos.lock().unwrap_or_else(|p| p.into_inner()).as_mut().and_then(|chaos| chaos.draw()));
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    tracing::info!(?fault, path = %request.uri().path(), "simulator fault applied");
    match fault {
        Fault::Latency { millis } => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            next.run(request).await
        }
        Fault::Hang => std::future::pending().await,
        Fault::HangAfterProcessing => {
            let _processed = next.run(request).await;
            std::future::pending().await
        }
        Fault::ResetBeforeProcessing => dropped(),
        Fault::ResetAfterProcessing => {
            let _processed = next.run(request).await;
            dropped()
        }
        Fault::TooManyRequests => bodies::too_many_requests(),
        Fault::InvalidRequest => bodies::invalid_request(),
        Fault::ServiceUnavailable => bodies::html_status(StatusCode::SERVICE_UNAVAILABLE),
        Fault::GatewayTimeout => bodies::html_status(StatusCode::GATEWAY_TIMEOUT),
        Fault::MalformedJson => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"requestID":1234567890123,"dispositionMessage":"ISSU"#,
        )
            .into_response(),
        Fault::HugeBody => {
            let mut body = Vec::with_capacity(HUGE_BODY_BYTES);
            body.extend_from_slice(br#"{"padding":""#);
            body.resize(HUGE_BODY_BYTES - 2, b'a');
            body.extend_from_slice(br#""}"#);
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Fault::WrongContentType => bodies::html_status(StatusCode::OK),
    }
}
