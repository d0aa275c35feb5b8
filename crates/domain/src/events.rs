//! The event log: every change is an appended event, chained per organisation.
//!
//! Each event's hash is an HMAC-SHA256, keyed with the installation's secret,
//! over the previous event's hash and every field of the event. Changing,
//! removing or reordering a stored event breaks the chain at that point, and
//! without the key nobody can forge a chain that verifies. Personal data of
//! reporters never goes into `payload`: it lives encrypted elsewhere and is
//! referenced by id, so that it can be erased without breaking the chain.

mod kind;

pub use kind::EventKind;

use crate::OrgId;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The hash that stands before the first event of every organisation.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Everything about an event that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEvent<'a> {
    pub org_id: OrgId,
    pub seq: i64,
    pub at_ms: i64,
    pub actor: &'a str,
    pub kind: &'a str,
    pub subject_type: &'a str,
    pub subject_id: i64,
    pub payload: &'a str,
    pub reason: &'a str,
    pub prev_hash: &'a str,
}

/// Computes the chain hash of `e` under `key` (hex, 64 characters).
///
/// Fields are length-prefixed so that moving text from one field to the
/// next cannot produce the same input.
pub fn chain_hash(key: &[u8], e: &ChainedEvent<'_>) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    let numbers = [e.org_id.get(), e.seq, e.at_ms, e.subject_id];
    for n in numbers {
        mac.update(&n.to_be_bytes());
    }
    for field in [e.prev_hash, e.actor, e.kind, e.subject_type, e.payload, e.reason] {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

/// What is wrong with one stored event, found by [`ChainVerifier`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The event's sequence number is not the one after its predecessor:
    /// an event was removed or inserted.
    Gap { expected_seq: i64, found_seq: i64 },
    /// The event's `prev_hash` does not name the previous event's hash.
    WrongLink,
    /// The stored hash does not match the event's contents: it was changed.
    WrongHash,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Gap { expected_seq, found_seq } => write!(
                f,
                "sequence gap: expected seq {expected_seq}, found {found_seq} (an event was removed or inserted)"
            ),
            Break::WrongLink => write!(f, "prev_hash does not match the previous event's hash"),
            Break::WrongHash => write!(f, "hash does not match the event's contents (the event was altered)"),
        }
    }
}

/// Walks one organisation's events in sequence order and reports the first
/// break. Feed it events one by one so that a chain of millions needs no
/// memory beyond one event.
pub struct ChainVerifier<'k> {
    key: &'k [u8],
    expected_seq: i64,
    prev_hash: String,
}

impl<'k> ChainVerifier<'k> {
    pub fn new(key: &'k [u8]) -> Self {
        Self { key, expected_seq: 1, prev_hash: GENESIS.to_string() }
    }

    /// Checks the next event; `stored_hash` is what the database holds.
    pub fn check(&mut self, e: &ChainedEvent<'_>, stored_hash: &str) -> Result<(), Break> {
        self.check_with(self.key, e, stored_hash)
    }

    /// [`ChainVerifier::check`] with the key the event was chained with
    /// (an installation's key changes between versions; each event keeps
    /// the version of its own).
    pub fn check_with(&mut self, key: &[u8], e: &ChainedEvent<'_>, stored_hash: &str) -> Result<(), Break> {
        if e.seq != self.expected_seq {
            return Err(Break::Gap { expected_seq: self.expected_seq, found_seq: e.seq });
        }
        if e.prev_hash != self.prev_hash {
            return Err(Break::WrongLink);
        }
        if chain_hash(key, e) != stored_hash {
            return Err(Break::WrongHash);
        }
        self.expected_seq += 1;
        self.prev_hash = stored_hash.to_string();
        Ok(())
    }

    /// How many events have verified so far.
    pub fn verified(&self) -> i64 {
        self.expected_seq - 1
    }
}

/// What is wrong with a chain's head against its last stored event
/// (`last_seq` 0 and [`GENESIS`] for an empty chain), said precisely: a
/// head ahead of the events (removed from the end), behind them (moved
/// back), or at the last event with another hash (the head was edited).
pub fn head_problem(head_seq: i64, head_hash: &str, last_seq: i64, last_hash: &str) -> Option<String> {
    match last_seq.cmp(&head_seq) {
        std::cmp::Ordering::Less => Some(format!(
            "chain head says seq {head_seq} but the last stored event is seq {last_seq} (events after it were removed)"
        )),
        std::cmp::Ordering::Greater => Some(format!(
            "chain head says seq {head_seq} but events go on to seq {last_seq} (the head was moved back)"
        )),
        std::cmp::Ordering::Equal if last_hash != head_hash => Some(format!(
            "chain head's hash differs from the last event's at seq {last_seq} (the head was edited; the events verify)"
        )),
        std::cmp::Ordering::Equal => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(seq: i64, prev: &'a str, payload: &'a str) -> ChainedEvent<'a> {
        ChainedEvent {
            org_id: OrgId::new(1),
            seq,
            at_ms: 1_700_000_000_000 + seq,
            actor: "user:1",
            kind: "staff.created",
            subject_type: "staff",
            subject_id: seq,
            payload,
            reason: "",
            prev_hash: prev,
        }
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let key = b"secret";
        let h1 = chain_hash(key, &event(1, GENESIS, "{}"));
        let h2 = chain_hash(key, &event(2, &h1, "{\"a\":1}"));
        let mut v = ChainVerifier::new(key);
        v.check(&event(1, GENESIS, "{}"), &h1).unwrap();
        v.check(&event(2, &h1, "{\"a\":1}"), &h2).unwrap();
        assert_eq!(v.verified(), 2);
    }

    #[test]
    fn an_altered_payload_is_found() {
        let key = b"secret";
        let h1 = chain_hash(key, &event(1, GENESIS, "{\"fine\":200}"));
        let mut v = ChainVerifier::new(key);
        assert_eq!(v.check(&event(1, GENESIS, "{\"fine\":0}"), &h1), Err(Break::WrongHash));
    }

    #[test]
    fn a_removed_event_is_a_gap() {
        let key = b"secret";
        let h1 = chain_hash(key, &event(1, GENESIS, "{}"));
        let mut v = ChainVerifier::new(key);
        v.check(&event(1, GENESIS, "{}"), &h1).unwrap();
        assert_eq!(v.check(&event(3, &h1, "{}"), "x"), Err(Break::Gap { expected_seq: 2, found_seq: 3 }));
    }

    #[test]
    fn another_key_cannot_forge_the_chain() {
        let h1 = chain_hash(b"attacker", &event(1, GENESIS, "{}"));
        let mut v = ChainVerifier::new(b"secret");
        assert_eq!(v.check(&event(1, GENESIS, "{}"), &h1), Err(Break::WrongHash));
    }

    #[test]
    fn moving_text_between_fields_changes_the_hash() {
        let mut a = event(1, GENESIS, "ab");
        a.reason = "c";
        let mut b = event(1, GENESIS, "a");
        b.reason = "bc";
        assert_ne!(chain_hash(b"k", &a), chain_hash(b"k", &b));
    }

    #[test]
    fn a_head_out_of_step_with_the_events_says_which_way() {
        assert_eq!(head_problem(5, "h5", 5, "h5"), None);
        assert_eq!(head_problem(0, GENESIS, 0, GENESIS), None);
        assert!(head_problem(7, "h7", 5, "h5").unwrap().contains("were removed"));
        assert!(head_problem(4, "h4", 5, "h5").unwrap().contains("moved back"));
        assert!(head_problem(5, "hx", 5, "h5").unwrap().contains("the head was edited"));
    }
}
