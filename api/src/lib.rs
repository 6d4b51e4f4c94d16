//! The Skilldex HTTP API: routes, middleware and the server loop. `main.rs` only parses
//! settings and calls [`serve`]; tests build the same [`router`] on an ephemeral port.

pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod downloads;
pub mod error;
pub mod extract;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod public_url;
pub mod rate_limit;
pub mod response_cache;
pub mod routes;
pub mod sql;
pub mod sync_errors;
pub mod temporal;
pub mod ui;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::OriginalUri,
    http::{HeaderName, HeaderValue, Method, StatusCode},
    middleware,
    response::Response,
    routing::{MethodRouter, any, get},
};
use sea_orm::DatabaseConnection;
use skilldex_core::{
    config::{AuthSettings, HttpSettings},
    storage::ObjectStore,
};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::{error::error_response, metrics::Metrics, temporal::TemporalHandle};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Settings the handlers read (limits, auth, the Temporal task queue).
#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub http: HttpSettings,
    pub auth: AuthSettings,
}

/// Shared state of every handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub store: ObjectStore,
    pub temporal: Arc<TemporalHandle>,
    pub metrics: Arc<Metrics>,
    pub settings: Arc<ApiSettings>,
    /// Per-client-IP limiters of unauthenticated writes (see [`rate_limit`]).
    pub rate_limits: Arc<rate_limit::RateLimits>,
    /// Facet counts of recent searches (see `routes::skills`).
    pub facets: Arc<routes::skills::FacetCache>,
    /// Recent public read responses (see [`response_cache`]).
    pub responses: Arc<response_cache::ResponseCache>,
    /// Download counts waiting to be written (see [`downloads`]).
    pub downloads: Arc<downloads::DownloadCounter>,
}

impl AppState {
    /// The one place the state is assembled, for `main` and the tests alike.
    pub fn new(
        db: DatabaseConnection,
        store: ObjectStore,
        temporal: Arc<TemporalHandle>,
        settings: ApiSettings,
    ) -> Self {
        let downloads = Arc::new(downloads::DownloadCounter::default());
        downloads.spawn_flusher(
            db.clone(),
            Duration::from_millis(settings.http.download_flush_ms),
        );
        Self {
            db,
            store,
            temporal,
            metrics: Arc::new(Metrics::default()),
            rate_limits: Arc::new(rate_limit::RateLimits::from_settings(&settings.http)),
            facets: Arc::new(routes::skills::FacetCache::default()),
            downloads,
            responses: Arc::new(response_cache::ResponseCache::new(
                Duration::from_secs(settings.http.cache_ttl_secs),
                settings.http.public_url.clone(),
            )),
            settings: Arc::new(settings),
        }
    }
}

/// The `/api/v1` routes and the OpenAPI document describing exactly them.
pub fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest("/api/v1", routes::api_v1())
        .split_for_parts();
    openapi::name_wildcards(&mut doc);
    (router, doc)
}

/// Adds a route that is not part of the versioned API (health, metrics, the `/api`
/// fallback). The one place allowed to add a route without documenting it.
///
/// Every `/api/v1` handler goes through `utoipa_axum::routes!` (see [`routes::api_v1`]),
/// which adds it to the router and to the OpenAPI document in one step, so the served API
/// and its document are one list. What keeps it so: `api/clippy.toml` refuses the router
/// methods that add a route without documenting it (`Router::route`, `route_service`,
/// `nest`, `OpenApiRouter::route`, ...) in the whole crate, `tests/openapi.rs` checks that
/// this function is the only one allowed to call them, and this function refuses a path
/// under `/api/v1`. The router is built at start-up and by every test, so such a path
/// cannot go unnoticed.
#[allow(clippy::disallowed_methods)]
fn outside_api(
    app: Router<AppState>,
    path: &str,
    method_router: MethodRouter<AppState>,
) -> Router<AppState> {
    assert!(
        path != "/api/v1" && !path.starts_with("/api/v1/"),
        "{path}: /api/v1 routes are added with utoipa_axum::routes! so they are documented"
    );
    app.route(path, method_router)
}

/// Every route and middleware of the api.
pub fn router(state: AppState, http: &HttpSettings) -> Router {
    let (api, doc) = api_routes();

    let mut app = Router::new();
    for (path, handler) in [
        ("/health", get(health::process)),
        ("/health/db", get(health::database)),
        ("/health/temporal", get(health::temporal)),
        ("/health/storage", get(health::storage)),
        (
            "/metrics",
            get(metrics::handler).with_state(state.metrics.clone()),
        ),
    ] {
        app = outside_api(app, path, handler);
    }
    app = app.merge(api.layer(middleware::from_fn_with_state(
        state.responses.clone(),
        response_cache::layer,
    )));
    // Unknown API paths answer with the envelope even when the UI serves the rest. (Added
    // after the API routes and before the Swagger UI's: with the catch-all inserted first,
    // the router no longer finds `/api/docs/`.)
    app = outside_api(app, "/api/{*rest}", any(api_not_found));
    let mut app = app
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", doc))
        .with_state(state.clone());

    app = match &http.ui_dir {
        // The UI is a single-page app: routes get index.html (200) and route client-side.
        Some(dir) => app.fallback_service(ui::router(dir)),
        None => app.fallback(api_not_found),
    };

    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &axum::http::Request<_>| {
            let request_id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!(
                "request",
                request_id = %request_id,
                method = %request.method(),
                path = %request.uri().path(),
            )
        })
        .on_response(
            DefaultOnResponse::new()
                .level(Level::INFO)
                .latency_unit(tower_http::LatencyUnit::Millis),
        );

    app.layer(middleware::from_fn_with_state(
        http.body_limit,
        limits::body_limit,
    ))
    .layer(middleware::from_fn_with_state(
        http.request_timeout(),
        limits::timeout,
    ))
    .layer(middleware::from_fn_with_state(
        state.metrics.clone(),
        metrics::track,
    ))
    .layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(trace)
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(cors_layer(&http.cors_origins)),
    )
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .filter_map(|o| match HeaderValue::from_str(o) {
            Ok(value) => Some(value),
            Err(_) => {
                tracing::warn!(
                    origin = o,
                    "ignoring a CORS origin that is not a valid header value"
                );
                None
            }
        })
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            axum::http::header::CONTENT_TYPE,
            axum::http::header::AUTHORIZATION,
        ])
        .expose_headers([REQUEST_ID])
}

async fn api_not_found(OriginalUri(uri): OriginalUri) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {}", uri.path()),
        None,
    )
}

fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error".into(),
        None,
    )
}

/// Serves `app` until `shutdown` resolves, then stops accepting connections and gives
/// in-flight requests `grace` to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let (signalled_tx, mut signalled_rx) = tokio::sync::watch::channel(false);
    let graceful = async move {
        shutdown.await;
        let _ = signalled_tx.send(true);
    };
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(graceful);
    let deadline = async move {
        let _ = signalled_rx.wait_for(|signalled| *signalled).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result,
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the grace period; stopping");
            Ok(())
        }
    }
}
