//! SSE framing (being written).
