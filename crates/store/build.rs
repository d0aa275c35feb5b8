//! sqlx::migrate! embeds the migrations at build time; a migration file
//! added or edited must rebuild the crate, which the macro alone does not
//! ask for when a file is added.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
