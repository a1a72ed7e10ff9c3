"""Reactions on posts: *helpful* and a small fixed set of emoji, one per person, post and kind."""
