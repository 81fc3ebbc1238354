"""Writers: results as files people and players read (subtitles, transcripts, tables, reports)."""
