//! Schema cases on schema_sqlite (see schema_support).

#[allow(unused_imports)]
use crate::schema_support::*;
