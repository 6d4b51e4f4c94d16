//! `/api/v1`: one module per resource, each exposing `router()`; this file only merges
//! them. Handlers are registered with `utoipa_axum::routes!` so each one is in the OpenAPI
//! document (see `crate::openapi`).

pub mod address;
pub mod admin;
pub mod auth;
pub mod catalog;
pub mod registrations;
pub mod repositories;
pub mod skills;
pub mod versions;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Every `/api/v1` route, documented.
pub fn api_v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(registrations::router())
        .merge(skills::router())
        .merge(versions::router())
        .merge(repositories::router())
        .merge(catalog::router())
        .merge(admin::router())
}
