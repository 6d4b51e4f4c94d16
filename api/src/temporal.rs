//! The api's Temporal client: connected lazily and reconnected after failures, so the api
//! starts and serves reads while Temporal is down, and recovers when it returns.

use std::time::Duration;

use skilldex_core::{
    config::TemporalSettings,
    temporal::{self, TemporalError},
};
use temporalio_client::Client;
use tokio::sync::Mutex;

pub struct TemporalHandle {
    settings: TemporalSettings,
    identity: String,
    connect_timeout: Duration,
    client: Mutex<Option<Client>>,
}

impl TemporalHandle {
    pub fn new(settings: TemporalSettings, identity: String, connect_timeout: Duration) -> Self {
        Self {
            settings,
            identity,
            connect_timeout,
            client: Mutex::new(None),
        }
    }

    pub fn settings(&self) -> &TemporalSettings {
        &self.settings
    }

    /// The connected client, connecting first if needed.
    pub async fn client(&self) -> Result<Client, TemporalError> {
        let mut guard = self.client.lock().await;
        if let Some(client) = guard.as_ref() {
            return Ok(client.clone());
        }
        let client =
            temporal::connect(&self.settings, &self.identity, self.connect_timeout).await?;
        *guard = Some(client.clone());
        Ok(client)
    }

    /// One round trip to the frontend; a failure drops the cached client so the next call
    /// reconnects from scratch.
    pub async fn ping(&self, timeout: Duration) -> Result<(), TemporalError> {
        let client = self.client().await?;
        let result = temporal::ping(&client, self.settings.address.as_str(), timeout).await;
        if result.is_err() {
            self.client.lock().await.take();
        }
        result
    }
}
