"""Writing aids: Markdown preview, server-side drafts, similar-thread suggestions, @mention suggestions."""
