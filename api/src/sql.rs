//! SQL text with numbered parameters, for queries whose filters depend on the request.

use sea_orm::{DbBackend, Statement, Value};

#[derive(Debug, Default)]
pub struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            values: Vec::new(),
        }
    }

    /// Appends raw SQL (never request input).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Adds a parameter and returns its placeholder (`$n`).
    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    pub fn statement(self) -> Statement {
        Statement::from_sql_and_values(DbBackend::Postgres, self.text, self.values)
    }
}
