//! Lua scripting: the libraries Redis bundles into its interpreter.
pub mod libs;
