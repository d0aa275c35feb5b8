//! The training part of a pack (SPEC CMP-2): how early a qualification's
//! expiry is reminded of, the usual pass mark, the qualifications the
//! sector's staff hold, and what a certificate's award is worth.

use serde::Deserialize;

/// Training and qualifications (SPEC CMP-2).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingPolicy {
    /// Days before a qualification expires that its holder and the office
    /// are told (30 by default).
    #[serde(default = "qualification_warning_days")]
    pub qualification_warning_days: u32,
    /// The pass mark an exam is given when its form names none.
    #[serde(default = "pass_mark")]
    pub pass_mark: u32,
    /// The qualifications the sector's staff hold (客运服务资格证, 上岗证),
    /// offered on the forms; others may be written.
    #[serde(default)]
    pub qualifications: Vec<String>,
}

fn qualification_warning_days() -> u32 {
    30
}

fn pass_mark() -> u32 {
    60
}

impl Default for TrainingPolicy {
    fn default() -> Self {
        TrainingPolicy {
            qualification_warning_days: qualification_warning_days(),
            pass_mark: pass_mark(),
            qualifications: vec![],
        }
    }
}
