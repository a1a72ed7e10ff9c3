"""Discussions: threads, threaded replies, accepted answers, triage and flags."""
