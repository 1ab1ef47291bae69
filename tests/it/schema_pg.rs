//! Schema cases on schema_pg (see schema_support).

#[allow(unused_imports)]
use crate::schema_support::*;
