//! A column of any type the reader accepts, converted to what its role
//! needs: text for keys (ids, labels, and regression values handed on as
//! text), `f32` for numbers. These are the values arrow's `cast` kernel gave
//! (integers in decimal, `f32`/`f64` in their shortest round-trip form as
//! `ryu` writes them, `f16` as it displays; numbers rounded to the nearest
//! `f32`), done here so the build needs none of arrow's compute crates. The
//! test `parquet_converts_every_key_and_number_type_as_before` pins them.
//!
//! Nulls are refused by the caller before converting (see
//! [`first_null`]); a null slot converts to whatever its buffer holds.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, Float32Array, StringArray};
use arrow_schema::DataType;
use std::sync::Arc;

/// The first row of `array` that is null, counting a dictionary's null
/// values as well as its null keys.
pub(super) fn first_null(array: &dyn Array) -> Option<usize> {
    let nulls = array.logical_nulls()?;
    (0..array.len()).find(|&i| nulls.is_null(i))
}

/// `array` as text, or `None` for a type keys cannot have.
pub(super) fn to_text(array: &dyn Array) -> Option<ArrayRef> {
    use DataType::*;
    let strings = |it: &mut dyn Iterator<Item = String>| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(it))
    };
    Some(match array.data_type() {
        Utf8 => Arc::new(array.as_string::<i32>().clone()),
        LargeUtf8 => Arc::new(StringArray::from_iter_values(
            array.as_string::<i64>().iter().map(|v| v.unwrap_or("")),
        )),
        Utf8View => Arc::new(StringArray::from_iter_values(
            array.as_string_view().iter().map(|v| v.unwrap_or("")),
        )),
        Dictionary(_, _) => {
            let dict = array.as_any_dictionary();
            if dict.values().is_empty() {
                // Only null keys can point nowhere, and they were refused.
                return Some(Arc::new(StringArray::from_iter_values(
                    std::iter::repeat_n("", array.len()),
                )));
            }
            let values = to_text(dict.values().as_ref())?;
            let values = values.as_string::<i32>();
            Arc::new(StringArray::from_iter_values(
                dict.normalized_keys().into_iter().map(|k| values.value(k)),
            ))
        }
        Int8 => strings(&mut decimal::<Int8Type>(array)),
        Int16 => strings(&mut decimal::<Int16Type>(array)),
        Int32 => strings(&mut decimal::<Int32Type>(array)),
        Int64 => strings(&mut decimal::<Int64Type>(array)),
        UInt8 => strings(&mut decimal::<UInt8Type>(array)),
        UInt16 => strings(&mut decimal::<UInt16Type>(array)),
        UInt32 => strings(&mut decimal::<UInt32Type>(array)),
        UInt64 => strings(&mut decimal::<UInt64Type>(array)),
        Float16 => strings(&mut decimal::<Float16Type>(array)),
        Float32 => {
            let mut buf = ryu::Buffer::new();
            strings(
                &mut array
                    .as_primitive::<Float32Type>()
                    .values()
                    .iter()
                    .map(|&x| buf.format(x).to_string()),
            )
        }
        Float64 => {
            let mut buf = ryu::Buffer::new();
            strings(
                &mut array
                    .as_primitive::<Float64Type>()
                    .values()
                    .iter()
                    .map(|&x| buf.format(x).to_string()),
            )
        }
        _ => return None,
    })
}

/// The values of a primitive column as `Display` writes them (integers in
/// decimal; `f16` as it displays).
fn decimal<T: ArrowPrimitiveType>(array: &dyn Array) -> impl Iterator<Item = String> + '_
where
    T::Native: std::fmt::Display,
{
    array
        .as_primitive::<T>()
        .values()
        .iter()
        .map(|v| v.to_string())
}

/// `array` as `f32` (each value rounded to the nearest), or `None` for a type
/// numbers cannot have.
pub(super) fn to_f32(array: &dyn Array) -> Option<ArrayRef> {
    use DataType::*;
    fn each<T: ArrowPrimitiveType>(array: &dyn Array, f: impl Fn(T::Native) -> f32) -> ArrayRef {
        Arc::new(Float32Array::from_iter_values(
            array.as_primitive::<T>().values().iter().map(|&v| f(v)),
        ))
    }
    Some(match array.data_type() {
        Float32 => Arc::new(array.as_primitive::<Float32Type>().clone()),
        Float16 => each::<Float16Type>(array, |v| v.to_f32()),
        Float64 => each::<Float64Type>(array, |v| v as f32),
        Int8 => each::<Int8Type>(array, f32::from),
        Int16 => each::<Int16Type>(array, f32::from),
        Int32 => each::<Int32Type>(array, |v| v as f32),
        Int64 => each::<Int64Type>(array, |v| v as f32),
        UInt8 => each::<UInt8Type>(array, f32::from),
        UInt16 => each::<UInt16Type>(array, f32::from),
        UInt32 => each::<UInt32Type>(array, |v| v as f32),
        UInt64 => each::<UInt64Type>(array, |v| v as f32),
        _ => return None,
    })
}
