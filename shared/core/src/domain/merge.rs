//! A merge job: one uploaded merge file of a connection, its criterion, its preview and what
//! applying it did. The file itself lives in the file store; its rows are read from there at
//! every step (a preview is recomputed before applying: Teamleader may have changed since).

use crate::jobs::merge::{MatchBy, MergeCounts};
use crate::{ConnectionId, RunId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What applying a merge file did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeApplied {
    /// Companies that received their external id.
    pub linked: u32,
    /// Companies Koppel's import had created that duplicate a company now linked.
    pub duplicates: u32,
    /// Of those, removed: Koppel created them and nothing in Teamleader referred to them
    /// (the others are reported with what to do).
    #[serde(default)]
    pub removed: u32,
    /// Rows no company matched: to merge by hand.
    pub unmatched: u32,
    /// The run that applied it.
    pub run_id: Option<RunId>,
}

/// One uploaded merge file of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeJob {
    /// The connection.
    pub connection_id: ConnectionId,
    /// Its id (travels in the SQS message).
    pub merge_id: String,
    /// The file's name as uploaded.
    pub file_name: String,
    /// Where the file is in the file store.
    pub file_key: String,
    /// The criterion the user chose.
    pub match_by: MatchBy,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
    /// The last preview's counts.
    pub preview: Option<MergeCounts>,
    /// What applying it did, once applied.
    pub applied: Option<MergeApplied>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}
