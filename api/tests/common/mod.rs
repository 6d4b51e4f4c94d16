//! Spawns the api on an ephemeral port over a fresh, migrated database and the real test
//! Temporal and S3 servers.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

pub mod admin;
pub mod index;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use skilldex_api::{ApiSettings, AppState, router, serve, temporal::TemporalHandle};
use skilldex_core::{
    config::{AuthSettings, HttpSettings, TemporalSettings},
    storage::ObjectStore,
};
use skilldex_test_support::{TestDatabase, migrated_database, s3_settings, temporal_settings};
use tokio::{sync::oneshot, task::JoinHandle};

pub struct TestApp {
    pub addr: SocketAddr,
    pub db: TestDatabase,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

pub fn http_settings() -> HttpSettings {
    HttpSettings {
        addr: "127.0.0.1:0".parse().expect("loopback address"),
        body_limit: 64 * 1024,
        request_timeout_secs: 30,
        shutdown_grace_secs: 5,
        ui_dir: None,
        cors_origins: vec!["http://localhost:5173".into()],
        // Generous: tests log in and register many times from one address. Tests of the
        // limit itself lower these.
        rate_limit_per_minute: 6000,
        rate_limit_burst: 1000,
        auth_rate_limit_per_minute: 6000,
        auth_rate_limit_burst: 1000,
        trust_forwarded_for: false,
        public_url: None,
        // Tests read their own writes at once.
        cache_ttl_secs: 0,
        download_flush_ms: 50,
        presign_ttl_secs: 60,
    }
}

/// Auth settings of the test api. No bootstrap admin: tests that need one create it.
pub fn auth_settings() -> AuthSettings {
    AuthSettings {
        jwt_secret: "skilldex-test-secret-that-is-long-enough-0123456789".into(),
        admin_username: "admin".into(),
        admin_password_hash: None,
        access_ttl_mins: 15,
        refresh_ttl_hours: 24,
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(temporal_settings("skilldex-api-tests"), http_settings()).await
    }

    /// Like [`TestApp::spawn`] with the response cache on, entries living `ttl_secs` (the
    /// other tests run without it so they read their own writes at once).
    pub async fn spawn_cached(ttl_secs: u64) -> Self {
        let http = HttpSettings {
            cache_ttl_secs: ttl_secs,
            ..http_settings()
        };
        Self::spawn_with(temporal_settings("skilldex-api-tests"), http).await
    }

    pub async fn spawn_with(temporal: TemporalSettings, http: HttpSettings) -> Self {
        let db = migrated_database().await;
        let state = AppState::new(
            db.conn.clone(),
            ObjectStore::new(&s3_settings()),
            Arc::new(TemporalHandle::new(
                temporal,
                "api-test".into(),
                Duration::from_secs(3),
            )),
            ApiSettings {
                http: http.clone(),
                auth: auth_settings(),
            },
        );
        let app = router(state, &http);
        let listener = tokio::net::TcpListener::bind(http.addr)
            .await
            .expect("bind an ephemeral port");
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            listener,
            app,
            async {
                let _ = stopped.await;
            },
            http.shutdown_grace(),
        ));
        Self {
            addr,
            db,
            http: reqwest::Client::new(),
            stop: Some(stop),
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("request reaches the api")
    }

    /// Signals shutdown and waits for the server loop to end.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(server) => server.await.expect("server task"),
            None => Ok(()),
        }
    }
}
