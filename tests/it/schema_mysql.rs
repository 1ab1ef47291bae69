//! Schema cases on schema_mysql (see schema_support).

#[allow(unused_imports)]
use crate::schema_support::*;
