//! One file per fusion method.
