//! Chuangkou's domain: the rules of a public-service window, in pure Rust.
//!
//! Nothing here touches a database, a clock, a file or the network. Storage
//! and the web layer call into this crate; it never calls out. A reader who
//! wants to know *what the system does* starts here.
#![forbid(unsafe_code)]

/// A value with a stable code and a label in each language, for forms,
/// lists and exports.
pub trait Labelled: Copy {
    fn code(self) -> &'static str;
    fn label_zh(self) -> &'static str;
    fn label_en(self) -> &'static str;
}

impl<T: Labelled> Labelled for &T {
    fn code(self) -> &'static str {
        (*self).code()
    }
    fn label_zh(self) -> &'static str {
        (*self).label_zh()
    }
    fn label_en(self) -> &'static str {
        (*self).label_en()
    }
}

/// Implements [`Labelled`] for a type with inherent `as_str`, `label_zh`
/// and `label_en`.
macro_rules! impl_labelled {
    ($name:ty) => {
        impl $crate::Labelled for $name {
            fn code(self) -> &'static str {
                <$name>::as_str(self)
            }
            fn label_zh(self) -> &'static str {
                <$name>::label_zh(self)
            }
            fn label_en(self) -> &'static str {
                <$name>::label_en(self)
            }
        }
    };
}

/// An enum of fixed codes, each with a Chinese and an English label; it
/// parses from its code or either label (forms, spreadsheets and API
/// clients all use these).
macro_rules! labelled_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),+ } }
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.as_str() == s || v.label_zh() == s || v.label_en().eq_ignore_ascii_case(s))
            }
            pub fn label_zh(self) -> &'static str { match self { $($name::$variant => $zh),+ } }
            pub fn label_en(self) -> &'static str { match self { $($name::$variant => $en),+ } }
        }
        impl_labelled!($name);

        /// A stored code, read back: a row field typed as this enum
        /// (`#[sqlx(try_from = "String")]`) fails to decode on a code that
        /// is not one of these, instead of falling back to a default.
        /// Compares with a stored code: `kind == "fine"`.
        impl PartialEq<&str> for $name {
            fn eq(&self, code: &&str) -> bool {
                self.as_str() == *code
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s).ok_or_else(|| format!("{} has no code {s:?}", stringify!($name)))
            }
        }
    };
}

pub mod access;
pub mod calendar;
pub mod campaigns;
pub mod cases;
pub mod directory;
pub mod duty;
pub mod events;
pub mod guides;
pub mod ids;
pub mod inspections;
pub mod kpi;
pub mod ledger;
pub mod money;
pub mod notices;
pub mod notify;
pub mod org;
pub mod policy;
pub mod recognition;
pub mod roster;
pub mod satisfaction;
pub mod text;
pub mod training;

pub use access::{Permission, Role, Sight};
pub use ids::{CaseId, OrgId, StaffId, UserId};
pub use money::Fen;
pub use text::{FieldError, mask_phone};
