//! Diversity between models: how differently they err.
