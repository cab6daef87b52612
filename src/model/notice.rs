//! A result for the operator from a background worker (the ack writer, the
//! pipeline answering a merge or split), shown as a flash message.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Info(String),
    Error(String),
}
