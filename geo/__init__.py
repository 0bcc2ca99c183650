"""Pure geometry for field staff: datums, distances, service zones and arrival detection."""
