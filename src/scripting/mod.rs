//! Scripting: the Lua engines Redis embeds.
//!
//! [`functions`] holds the libraries of FUNCTION LOAD in their own Lua
//! state, apart from EVAL's.

pub mod functions;
