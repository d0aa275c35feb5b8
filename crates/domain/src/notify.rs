//! Who hears about a change. The rules name the recipients; the store
//! resolves them to users (a role's members, a unit's shift leaders).

use crate::{Role, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    User(UserId),
    /// These users (those on duty).
    Users(Vec<UserId>),
    Role(Role),
    /// Shift leaders whose staff record is in the unit or its parent.
    ShiftLeadersOf(i64),
}

/// How many times a sender tries one message before leaving it for a
/// person to look at.
pub const MAX_SEND_ATTEMPTS: i64 = 10;

/// How long a sender waits before trying a message again after its
/// `attempts`-th failure: half a minute, doubling to at most an hour, so
/// that a gateway down for an afternoon still gets the message (the ten
/// attempts span about three hours) while one that failed for a moment is
/// retried soon.
#[must_use]
pub fn retry_delay_ms(attempts: i64) -> i64 {
    const FIRST_MS: i64 = 30_000;
    const MOST_MS: i64 = 3_600_000;
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    FIRST_MS.saturating_mul(1 << doublings).min(MOST_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        let delays: Vec<i64> = (1..=MAX_SEND_ATTEMPTS).map(|a| retry_delay_ms(a) / 1000).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        let span: i64 = delays.iter().take(9).sum();
        assert!((3 * 3600..4 * 3600).contains(&span), "the attempts span about three hours: {span} s");
        assert_eq!(retry_delay_ms(0), 30_000, "a message never tried waits the least");
    }
}
