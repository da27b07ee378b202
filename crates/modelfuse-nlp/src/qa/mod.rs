//! Extractive question answering: read SQuAD files, score answers as the
//! official SQuAD scripts do, and fuse systems' answers.
