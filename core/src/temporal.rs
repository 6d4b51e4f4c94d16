//! Connecting to the Temporal frontend, shared by the api (starting and describing
//! workflows) and the worker (polling).

use std::time::Duration;

use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions};

use crate::config::TemporalSettings;

#[derive(Debug, thiserror::Error)]
pub enum TemporalError {
    #[error("cannot connect to Temporal at {address}: {message}")]
    Connect { address: String, message: String },
    #[error("Temporal client set-up failed: {0}")]
    Client(String),
    #[error("Temporal at {address} did not answer: {message}")]
    Unhealthy { address: String, message: String },
}

/// Connects and binds a client to the configured namespace. `identity` names this process
/// in workflow histories (e.g. `skilldex-worker@host`).
pub async fn connect(
    settings: &TemporalSettings,
    identity: &str,
    connect_timeout: Duration,
) -> Result<Client, TemporalError> {
    let options = ConnectionOptions::new(settings.address.clone())
        .identity(identity.to_string())
        .connect_timeout(connect_timeout)
        .build();
    let connection = tokio::time::timeout(connect_timeout, Connection::connect(options))
        .await
        .map_err(|_| TemporalError::Connect {
            address: settings.address.to_string(),
            message: format!("timed out after {connect_timeout:?}"),
        })?
        .map_err(|e| TemporalError::Connect {
            address: settings.address.to_string(),
            message: e.to_string(),
        })?;
    Client::new(
        connection,
        ClientOptions::new(settings.namespace.clone()).build(),
    )
    .map_err(|e| TemporalError::Client(e.to_string()))
}

/// One round trip to the frontend service, for health checks.
pub async fn ping(client: &Client, address: &str, timeout: Duration) -> Result<(), TemporalError> {
    use temporalio_client::tonic::IntoRequest;
    use temporalio_common::protos::temporal::api::workflowservice::v1::GetSystemInfoRequest;

    let mut service = client.connection().workflow_service();
    let call = service.get_system_info(GetSystemInfoRequest::default().into_request());
    match tokio::time::timeout(timeout, call).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(status)) => Err(TemporalError::Unhealthy {
            address: address.to_string(),
            message: status.message().to_string(),
        }),
        Err(_) => Err(TemporalError::Unhealthy {
            address: address.to_string(),
            message: format!("no answer within {timeout:?}"),
        }),
    }
}

/// `name@host`, used as the Temporal identity of a process.
pub fn process_identity(name: &str) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string());
    format!("{name}@{host}:{}", std::process::id())
}
