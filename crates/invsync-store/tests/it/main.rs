//! Integration tests of invsync-store through its public API.

mod common;
mod crash;
mod group;
mod hub;
mod store;
