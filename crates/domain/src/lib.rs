//! Chuangkou's domain: the rules of a public-service window, in pure Rust.
//!
//! Nothing here touches a database, a clock, a file or the network. Storage
//! and the web layer call into this crate; it never calls out. A reader who
//! wants to know *what the system does* starts here.
#![forbid(unsafe_code)]

pub mod access;
pub mod calendar;
pub mod cases;
pub mod events;
pub mod org;
pub mod policy;
pub mod roster;
pub mod text;

pub use access::{Permission, Role};
pub use text::{FieldError, mask_phone};
