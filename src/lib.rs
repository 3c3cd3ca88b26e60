//! wa-gateway: a self-hosted, multi-session WhatsApp REST gateway.

pub mod store;
