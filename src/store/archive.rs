//! Profile folder <-> compressed archive (in progress).
