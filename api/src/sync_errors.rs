//! What the api shows of a failed sync.
//!
//! The worker records each failure with a kind and a message: `repositories.last_error_kind`
//! and `last_error`, and `registration_requests.error` as `"{kind}: {message}"`. Kinds about
//! the repository itself (not found, blacklisted, an invalid or too large archive) carry a
//! message written for its owner, shown as stored. Every other kind (GitHub or network
//! trouble, the registry's database and storage, timeouts, internal errors, a kind this
//! list does not know yet) may carry driver or network error text with addresses or SQL in
//! it, so the api shows a fixed message for the kind instead; the stored text stays in the
//! database and the worker's logs for operators.

/// Kinds whose stored message is meant for users.
const USER_FACING_KINDS: [&str; 4] = ["not_found", "blacklisted", "invalid_archive", "too_large"];

/// The message to show for a failure of `kind` recorded as `message`.
pub fn public_message(kind: Option<&str>, message: &str) -> String {
    let fixed = match kind {
        Some(kind) if USER_FACING_KINDS.contains(&kind) => return message.to_owned(),
        Some("github") => "GitHub could not be reached or refused the request; try again later",
        Some("timeout") => "the sync took too long and was stopped; try again later",
        Some("database" | "storage") => {
            "the registry could not store the results of the sync; try again later"
        }
        _ => "the sync failed because of an internal error; try again later",
    };
    fixed.to_owned()
}

/// The message to show for a registration's stored `error` (`"{kind}: {message}"`; text
/// without a kind prefix counts as internal).
pub fn public_registration_error(stored: &str) -> String {
    let kind = stored
        .split_once(": ")
        .map(|(kind, _)| kind)
        .filter(|kind| {
            !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        });
    public_message(kind, stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_user_facing_kinds_show_their_message() {
        let sql = "error returned from database: relation \"skills\" does not exist";
        assert_eq!(
            public_message(Some("database"), sql),
            "the registry could not store the results of the sync; try again later"
        );
        for kind in [
            None,
            Some("internal"),
            Some("storage"),
            Some("something_new"),
        ] {
            assert!(!public_message(kind, sql).contains("relation"), "{kind:?}");
        }
        assert_eq!(
            public_message(Some("not_found"), "GitHub repos [a/b]: not found"),
            "GitHub repos [a/b]: not found"
        );
    }

    #[test]
    fn registration_errors_are_judged_by_their_kind_prefix() {
        assert_eq!(
            public_registration_error("too_large: the archive is 2 GB; the limit is 1 GB"),
            "too_large: the archive is 2 GB; the limit is 1 GB"
        );
        assert_eq!(
            public_registration_error(
                "github: GitHub repos [a/b]: network error: tcp connect 10.1.2.3:443"
            ),
            "GitHub could not be reached or refused the request; try again later"
        );
        assert_eq!(
            public_registration_error(
                "the sync could not be started: status: Unavailable, message: \"dns error\""
            ),
            "the sync failed because of an internal error; try again later"
        );
    }
}
