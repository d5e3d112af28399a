use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

pub type Item = HashMap<String, AttributeValue>;

pub fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

pub fn n(number: impl ToString) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// An `UpdateItem` expression with its placeholders, for the few writes that are not a whole
/// versioned item: counters, and an order's status onto a link.
#[derive(Debug, Default)]
pub struct Update {
    sets: Vec<String>,
    removes: Vec<String>,
    names: HashMap<String, String>,
    values: Item,
}

impl Update {
    pub fn set(mut self, expression: &str) -> Self {
        self.sets.push(expression.to_string());
        self
    }

    pub fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names.insert(placeholder.to_string(), attribute.to_string());
        self
    }

    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.to_string(), value);
        self
    }

    /// Keeps the item until `at`: DynamoDB's TTL attribute, and the same time readable.
    pub fn keep_until(self, at: paylinks::domain::Timestamp) -> Self {
        self.set("purge_at = :purge, #ttl = :ttl")
            .name("#ttl", "ttl")
            .value(":purge", s(at.rfc3339()))
            .value(":ttl", n(at.unix()))
    }

    /// Takes an attribute off the item (a sparse index's key, say).
    pub fn remove(mut self, attribute: &str) -> Self {
        self.removes.push(attribute.to_string());
        self
    }

    pub fn expression(&self) -> String {
        let mut expression = format!("SET {}", self.sets.join(", "));
        if !self.removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", self.removes.join(", ")));
        }
        expression
    }

    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub fn values(&self) -> Option<Item> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}
