//! placeholder
/// v
pub const FORMAT_VERSION: u32 = 1;
/// x
pub enum FuserSpec { /// m
 Mean }
/// x
pub struct FittedFuser;
/// x
pub enum FittedState {}
/// x
pub enum Method {}
