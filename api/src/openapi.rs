//! The OpenAPI document, generated from the handlers: every route is registered through
//! `utoipa_axum::routes!`, which adds the handler's `#[utoipa::path]` to the document and
//! the route to the router in one step, so the two cannot drift apart. (`api/clippy.toml`
//! refuses the router methods that would add a route without documenting it.)

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// Name of the bearer security scheme (an access JWT or an `sdx_` API token).
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Skilldex API",
        description = "Search, inspect and download Agent Skills; register GitHub repositories \
                       for indexing; administer discovery. Errors are always \
                       `{\"error\": {\"code\", \"message\", \"details\"}}`.",
        license(name = "Apache-2.0"),
    ),
    components(schemas(crate::error::ErrorEnvelopeDoc, crate::error::ErrorBodyDoc)),
    modifiers(&BearerScheme),
    tags(
        (name = "skills", description = "Search, skill pages, versions, files and downloads"),
        (name = "repositories", description = "Indexed repositories and registrations"),
        (name = "catalog", description = "Marketplaces, the change feed and totals"),
        (name = "auth", description = "Admin login, refresh and identity"),
        (name = "admin", description = "Administration (authenticated)"),
    )
)]
pub struct ApiDoc;

/// axum writes a parameter spanning path segments as `{*file}`, which is how the route is
/// declared (`#[utoipa::path]` gives the router its path); OpenAPI has no such syntax, so
/// the document names it `{file}` (its description says it may contain `/`).
pub fn name_wildcards(doc: &mut utoipa::openapi::OpenApi) {
    let paths = std::mem::take(&mut doc.paths.paths);
    doc.paths.paths = paths
        .into_iter()
        .map(|(path, item)| (path.replace("{*", "{"), item))
        .collect();
}

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or sdx_ API token")
                    .build(),
            ),
        );
    }
}
