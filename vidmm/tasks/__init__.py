"""Tasks: each turns features into a result dataclass (scene, emotion, caption, ask, transcribe, search)."""
