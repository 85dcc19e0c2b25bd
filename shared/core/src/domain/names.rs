//! Company-name normalisation for matching. (Filled in by the core-extras work.)
