//! The platform graph.
