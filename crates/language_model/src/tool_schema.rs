//! [`LanguageModelToolSchemaFormat`]: the dialect a model reads tool input schemas in.
//!
//! Follows `crates/language_model_core/src/tool_schema.rs` of zed-industries/zed.

/// The format used to define a tool's input schema.
#[derive(Debug, PartialEq, Eq, Clone, Copy, Hash)]
pub enum LanguageModelToolSchemaFormat {
    /// A JSON schema, see <https://json-schema.org>.
    JsonSchema,
    /// The subset of an OpenAPI 3.0 schema object Google AI supports.
    JsonSchemaSubset,
}
