use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

pub type Item = HashMap<String, AttributeValue>;

pub fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

pub fn n(number: impl ToString) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// An update that writes each attribute of `item` (but the keys) with placeholders `#a0`/`:a0`…,
/// so whole domain objects can be written by `UpdateItem` inside a transaction.
#[derive(Debug, Default)]
pub struct Update {
    pub sets: Vec<String>,
    pub removes: Vec<String>,
    pub names: HashMap<String, String>,
    pub values: Item,
}

impl Update {
    pub fn set_all(mut self, item: Item) -> Self {
        for (i, (name, value)) in item.into_iter().enumerate() {
            if name == "pk" || name == "sk" {
                continue;
            }
            self.names.insert(format!("#a{i}"), name);
            self.values.insert(format!(":a{i}"), value);
            self.sets.push(format!("#a{i} = :a{i}"));
        }
        self
    }

    pub fn set(mut self, expression: &str) -> Self {
        self.sets.push(expression.to_string());
        self
    }

    pub fn remove(mut self, attribute: &str) -> Self {
        self.removes.push(attribute.to_string());
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
    pub fn keep_until(self, at: crate::domain::Timestamp) -> Self {
        self.set("purge_at = :purge, #ttl = :ttl")
            .name("#ttl", "ttl")
            .value(":purge", s(at.rfc3339()))
            .value(":ttl", n(at.unix()))
    }

    /// Keeps the item for as long as it is wanted: no TTL.
    pub fn keep_forever(self) -> Self {
        self.remove("purge_at").remove("#ttl").name("#ttl", "ttl")
    }

    /// Keeps the item until `at`, or for good with `None`.
    pub fn retention(self, at: Option<crate::domain::Timestamp>) -> Self {
        match at {
            Some(at) => self.keep_until(at),
            None => self.keep_forever(),
        }
    }

    /// Binds `values` as `:{prefix}0`, `:{prefix}1`… and returns the list for an `IN (…)`.
    pub fn one_of<'v>(mut self, prefix: &str, values: impl IntoIterator<Item = &'v str>) -> (Self, String) {
        let mut placeholders = Vec::new();
        for (i, value) in values.into_iter().enumerate() {
            let placeholder = format!(":{prefix}{i}");
            self.values.insert(placeholder.clone(), s(value));
            placeholders.push(placeholder);
        }
        (self, format!("({})", placeholders.join(", ")))
    }

    pub fn expression(&self) -> String {
        let mut parts = Vec::new();
        if !self.sets.is_empty() {
            parts.push(format!("SET {}", self.sets.join(", ")));
        }
        if !self.removes.is_empty() {
            parts.push(format!("REMOVE {}", self.removes.join(", ")));
        }
        parts.join(" ")
    }

    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub fn values(&self) -> Option<Item> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}
