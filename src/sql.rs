//! Temporary naive splitter (replaced by the dialect-aware one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    MySql,
    Sqlite,
}
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub text: String,
    pub line: usize,
    pub column: usize,
    pub compound: bool,
}
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("split error")]
pub struct SplitError;
pub fn split(sql: &str, _d: Dialect) -> Result<Vec<Statement>, SplitError> {
    let mut out = Vec::new();
    let mut line = 1;
    for part in sql.split(';') {
        let lead = part.len() - part.trim_start().len();
        let l = line + part[..lead].matches('\n').count();
        line += part.matches('\n').count();
        let t = part.trim();
        if !t.is_empty() {
            out.push(Statement {
                text: t.to_string(),
                line: l,
                column: 1,
                compound: false,
            });
        }
    }
    Ok(out)
}
pub fn position_in_file(stmt: &Statement, _o: usize) -> (usize, usize) {
    (stmt.line, stmt.column)
}
