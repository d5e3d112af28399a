/// An aggregate with the version it was read at, for optimistic concurrency: a store writes it
/// back only if nobody wrote it since (version 0: it must not exist yet), and then as version + 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

impl<T> Versioned<T> {
    /// Something not stored yet.
    pub fn new(value: T) -> Self {
        Self { value, version: 0 }
    }

    pub fn at(value: T, version: u64) -> Self {
        Self { value, version }
    }

    pub fn is_new(&self) -> bool {
        self.version == 0
    }

    /// As the store holds it once this was committed.
    pub fn committed(self) -> Self {
        Self { version: self.version + 1, ..self }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Versioned<U> {
        Versioned { value: f(self.value), version: self.version }
    }
}

impl<T> std::ops::Deref for Versioned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> std::ops::DerefMut for Versioned<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}
