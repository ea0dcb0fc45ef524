//! placeholder
mod error;
mod model;
pub mod php;
mod reader;
mod source;
mod text;

pub use error::{Position, WxrError};
pub use model::*;
pub use reader::{Limits, MAX_FIELD_BYTES, ReadOptions, Reader, read, read_with};
