//! `/api/v1`: one module per resource, each exposing `router()`; this file only merges
//! them. Handlers are registered with `utoipa_axum::routes!` so each one is in the OpenAPI
//! document (see `crate::openapi`).

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Every `/api/v1` route, documented.
pub fn api_v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
