//! Cursor (seek) pagination shared by every list endpoint.
//!
//! A cursor is an opaque string: the hex encoding of a small JSON value holding the sort
//! key of the last item of the previous page (e.g. `["2026-11-20T…", "uuid"]`). Handlers
//! choose the key; this module only encodes, decodes and validates, so a tampered cursor
//! is a 400 naming the `cursor` parameter rather than a database error.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
/// Cursors are small; anything longer is not one of ours.
const MAX_CURSOR_CHARS: usize = 2048;

/// `limit` and `cursor` query parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    /// The validated page size.
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(n) => Err(ApiError::bad_field(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}, got {n}"),
            )),
        }
    }

    /// The decoded cursor, `None` on the first page.
    pub fn cursor<K: DeserializeOwned>(&self) -> Result<Option<K>, ApiError> {
        self.cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(decode_cursor)
            .transpose()
    }
}

/// Encodes a sort key as an opaque cursor.
pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    // Serializing plain keys (strings, numbers, tuples of them) cannot fail.
    hex::encode(serde_json::to_vec(key).unwrap_or_default())
}

fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, ApiError> {
    let invalid = || ApiError::bad_field("cursor", "cursor is not valid; restart from page 1");
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(invalid());
    }
    let bytes = hex::decode(cursor).map_err(|_| invalid())?;
    serde_json::from_slice(&bytes).map_err(|_| invalid())
}

/// One page of a list endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched rows: the extra row only says that
    /// another page exists, and the cursor is the key of the last row kept.
    pub fn from_rows<K: Serialize>(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> K) -> Self {
        let limit = limit as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_tampering() {
        let key = ("2026-11-25T00:00:00Z".to_string(), 42_i64);
        let params = PageParams {
            limit: None,
            cursor: Some(encode_cursor(&key)),
        };
        assert_eq!(params.cursor::<(String, i64)>().unwrap(), Some(key));
        for bad in ["zz", "7b", &"ab".repeat(2000)] {
            let params = PageParams {
                limit: None,
                cursor: Some(bad.to_string()),
            };
            let err = params.cursor::<(String, i64)>().unwrap_err();
            assert_eq!(err.code(), "bad_request", "{bad}");
        }
        // A well-formed cursor of another list's shape is refused too.
        let params = PageParams {
            limit: None,
            cursor: Some(encode_cursor(&"just a string")),
        };
        assert!(params.cursor::<(String, i64)>().is_err());
    }

    #[test]
    fn limit_bounds() {
        let with = |limit| PageParams {
            limit,
            cursor: None,
        };
        assert_eq!(with(None).limit().unwrap(), DEFAULT_LIMIT);
        assert_eq!(with(Some(1)).limit().unwrap(), 1);
        assert_eq!(with(Some(100)).limit().unwrap(), 100);
        assert!(with(Some(0)).limit().is_err());
        assert!(with(Some(101)).limit().is_err());
    }

    #[test]
    fn page_uses_the_extra_row_only_to_know_there_is_more() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next_cursor, Some(encode_cursor(&2)));
        let last = Page::from_rows(vec![1, 2], 2, |n| *n);
        assert_eq!(last.next_cursor, None);
    }
}
