//! Named entity recognition: read taggers' outputs, score them as seqeval
//! does, and fuse them.
