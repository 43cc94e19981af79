//! TCP connects, classified the way a hosting provider needs to hear it:
//! reset (refused) versus silence (dropped) versus no route.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::model::{FailureKind, TcpOutcome, TcpProbe};

pub(crate) async fn connect(address: SocketAddr, deadline: Instant) -> Result<TcpStream, TcpOutcome> {
    match tokio::time::timeout_at(deadline, TcpStream::connect(address)).await {
        Err(_) => Err(TcpOutcome::TimedOut),
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(classify(&e)),
    }
}

fn classify(error: &io::Error) -> TcpOutcome {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => TcpOutcome::Refused,
        // The kernel gave up on SYN retries before our deadline: still silence.
        io::ErrorKind::TimedOut => TcpOutcome::TimedOut,
        io::ErrorKind::NetworkUnreachable | io::ErrorKind::HostUnreachable | io::ErrorKind::AddrNotAvailable => {
            TcpOutcome::Unreachable { detail: error.to_string() }
        }
        _ => TcpOutcome::Error { detail: error.to_string() },
    }
}

pub(crate) async fn probe(address: SocketAddr, timeout: Duration) -> (TcpProbe, Option<TcpStream>) {
    let started = Instant::now();
    let (outcome, stream) = match connect(address, started + timeout).await {
        Ok(stream) => (TcpOutcome::Connected, Some(stream)),
        Err(outcome) => (outcome, None),
    };
    (TcpProbe { address, outcome, elapsed_ms: started.elapsed().as_millis() as u64 }, stream)
}

impl TcpOutcome {
    pub(crate) fn failure_kind(&self) -> FailureKind {
        match self {
            TcpOutcome::Connected => FailureKind::Other,
            TcpOutcome::Refused => FailureKind::Refused,
            TcpOutcome::TimedOut => FailureKind::TimedOut,
            TcpOutcome::Unreachable { .. } => FailureKind::Unreachable,
            TcpOutcome::Error { .. } => FailureKind::Other,
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            TcpOutcome::Connected => "connected".into(),
            TcpOutcome::Refused => "connection refused (reset)".into(),
            TcpOutcome::TimedOut => "timed out (no answer)".into(),
            TcpOutcome::Unreachable { detail } => format!("unreachable: {detail}"),
            TcpOutcome::Error { detail } => detail.clone(),
        }
    }
}

/// The first address that accepts, all tried at once so a dead IPv6 path
/// costs nothing when IPv4 works.
pub(crate) async fn connect_any(addresses: &[SocketAddr], deadline: Instant) -> Result<TcpStream, TcpOutcome> {
    let mut attempts = tokio::task::JoinSet::new();
    for &address in addresses {
        attempts.spawn(connect(address, deadline));
    }
    let mut last = TcpOutcome::Error { detail: "no address to connect to".into() };
    while let Some(joined) = attempts.join_next().await {
        match joined {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(outcome)) => last = outcome,
            Err(join_error) => last = TcpOutcome::Error { detail: join_error.to_string() },
        }
    }
    Err(last)
}
