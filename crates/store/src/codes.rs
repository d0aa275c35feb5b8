//! Optional codes in row fields: a column that is NULL until a step sets
//! it (a case's finding, an entry's approved kind) read straight into
//! `Option` of its domain enum, failing to decode on an unknown code
//! instead of falling back to a default — as the non-optional fields do
//! with `#[sqlx(try_from = "String")]`.

use chuangkou_domain::{Fen, Labelled};
use serde::Serializer;

/// A nullable code column as it is stored; a row field reads it with
/// `#[sqlx(try_from = "MaybeCode")]` into `Option<T>` of a domain enum.
#[derive(Debug, sqlx::Type)]
#[sqlx(transparent)]
pub struct MaybeCode(Option<String>);

impl<T: TryFrom<String, Error = String>> TryFrom<MaybeCode> for Option<T> {
    type Error = String;
    fn try_from(code: MaybeCode) -> Result<Self, String> {
        code.0.map(T::try_from).transpose()
    }
}

/// A nullable amount column; a row field reads it with
/// `#[sqlx(try_from = "MaybeFen")]` into `Option<Fen>`.
#[derive(Debug, sqlx::Type)]
#[sqlx(transparent)]
pub struct MaybeFen(Option<i64>);

impl From<MaybeFen> for Option<Fen> {
    fn from(fen: MaybeFen) -> Self {
        fen.0.map(Fen::new)
    }
}

/// Writes an optional code as the code it is stored as (`"partly"`, not
/// the variant's name): the JSON of a row stays what it was as a string.
pub fn serialize<S: Serializer, T: Labelled>(value: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_some(v.code()),
        None => s.serialize_none(),
    }
}

/// Writes a code as it is stored, for an enum whose variant names are not
/// its codes (`Channel::Hotline12345` is `"12345"`).
pub fn serialize_code<S: Serializer, T: Labelled>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.code())
}
